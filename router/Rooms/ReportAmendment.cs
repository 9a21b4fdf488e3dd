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

    /// <summary>The whole report the amendment makes of <paramref name="held"/>: its status, the held links it does not replace or name gone, then its new ones.</summary>
    public static RoomReport Apply(RoomReport held, RoomReport amendment)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(amendment);
        if (amendment.Since is null)
        {
            return amendment;
        }

        var replacing = new Dictionary<string, LinkEstimate>(amendment.Links.Count, StringComparer.Ordinal);
        foreach (var link in amendment.Links)
        {
            replacing[link.Peer] = link;
        }

        var gone = amendment.Gone is { Count: > 0 } names ? new HashSet<string>(names, StringComparer.Ordinal) : null;
        var links = new List<LinkEstimate>(held.Links.Count + replacing.Count);
        foreach (var link in held.Links)
        {
            if (gone?.Contains(link.Peer) == true)
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
