namespace Msdn.Router.Rooms;

/// <summary>A report that carries only news (<see cref="RoomReport.Since"/>) applied to the report the controller holds.</summary>
public static class ReportAmendment
{
    /// <summary>Whether <paramref name="amendment"/> amends exactly the report held; if not, the relay must send everything.</summary>
    public static bool Amends(RoomReport? held, RoomReport amendment)
    {
        ArgumentNullException.ThrowIfNull(amendment);
        return amendment.Since is null || (held is not null && held.Sequence == amendment.Since);
    }

    /// <summary>
    /// The held links with <paramref name="news"/> in place of those to the same peers, and after them those to new
    /// peers. A relay lists its links in one order, so each is looked for from where the last was found: a
    /// report's few news cost one pass over the held links, not a lookup for each.
    /// </summary>
    private static LinkEstimate[] Replacing(IReadOnlyList<LinkEstimate> held, IReadOnlyList<LinkEstimate> news)
    {
        var links = new LinkEstimate[held.Count];
        for (var i = 0; i < links.Length; i++)
        {
            links[i] = held[i];
        }

        List<LinkEstimate>? added = null;
        var from = 0;
        foreach (var link in news)
        {
            var at = Find(links, link.Peer, from);
            if (at < 0)
            {
                added ??= [];
                var twice = added.FindIndex(a => string.Equals(a.Peer, link.Peer, StringComparison.Ordinal));
                if (twice < 0)
                {
                    added.Add(link);
                }
                else
                {
                    added[twice] = link; // named twice: the last one stands, as for the held links
                }

                continue;
            }

            links[at] = link;
            from = at + 1;
        }

        return added is null ? links : [.. links, .. added];
    }

    private static int Find(LinkEstimate[] links, string peer, int from)
    {
        for (var n = 0; n < links.Length; n++)
        {
            var i = (from + n) % links.Length;
            if (string.Equals(links[i].Peer, peer, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The whole report the amendment makes of <paramref name="held"/>: its status, the held links it does not replace or name gone, then its new ones.</summary>
    public static RoomReport Apply(RoomReport held, RoomReport amendment)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(amendment);
        if (amendment.Since is null)
        {
            return amendment;
        }

        if (amendment.Gone is not { Count: > 0 })
        {
            return amendment with { Links = amendment.Links.Count == 0 ? held.Links : Replacing(held.Links, amendment.Links), Since = null }; // no news: the very list held
        }

        var replacing = new Dictionary<string, LinkEstimate>(amendment.Links.Count, StringComparer.Ordinal);
        foreach (var link in amendment.Links)
        {
            replacing[link.Peer] = link;
        }

        var gone = new HashSet<string>(amendment.Gone, StringComparer.Ordinal);
        var links = new List<LinkEstimate>(held.Links.Count + replacing.Count);
        foreach (var link in held.Links)
        {
            if (gone.Contains(link.Peer))
            {
                continue;
            }

            links.Add(replacing.Remove(link.Peer, out var replaced) ? replaced : link);
        }

        foreach (var link in amendment.Links)
        {
            if (replacing.Remove(link.Peer, out var added))
            {
                links.Add(added);
            }
        }

        return amendment with { Links = links, Since = null, Gone = null };
    }
}
