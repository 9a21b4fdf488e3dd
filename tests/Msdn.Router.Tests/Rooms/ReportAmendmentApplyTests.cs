using FsCheck.Xunit;
using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Rooms;

/// <summary>An amending report made whole, against the rule it states, for random held links and news.</summary>
public sealed class ReportAmendmentApplyTests
{
    private static readonly string[] Peers = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"];

    /// <param name="held">Peers of the held report (indices; a peer named twice is held once).</param>
    /// <param name="news">Peers the amendment names, in any order, some twice, some new.</param>
    /// <param name="gone">Peers it names gone.</param>
    [Property(MaxTest = 500)]
    public bool Keeps_the_held_order_replaces_what_it_names_appends_new_peers_and_drops_the_gone(byte[] held, byte[] news, byte[] gone)
    {
        var heldLinks = held.Select(h => Peers[h % Peers.Length]).Distinct().Select((p, i) => new LinkEstimate { Peer = p, RttMs = i }).ToList();
        var newsLinks = news.Select((n, i) => new LinkEstimate { Peer = Peers[n % Peers.Length], RttMs = 1000 + i }).ToList();
        var goneNames = gone.Length % 3 == 0 ? null : gone.Select(g => Peers[g % Peers.Length]).Distinct().ToList();
        var whole = ReportAmendment.Apply(new RoomReport { Sequence = 1, Links = heldLinks }, new RoomReport { Sequence = 2, Since = 1, Links = newsLinks, Gone = goneNames });

        // The rule, written plainly: the last news for a peer stands; held order first, then new peers in the order first named.
        var last = newsLinks.GroupBy(l => l.Peer).ToDictionary(g => g.Key, g => g.Last());
        var expected = heldLinks.Where(l => goneNames?.Contains(l.Peer) != true).Select(l => last.GetValueOrDefault(l.Peer) ?? l)
            .Concat(newsLinks.Select(l => l.Peer).Distinct().Where(p => heldLinks.All(h => h.Peer != p) && goneNames?.Contains(p) != true).Select(p => last[p]))
            .ToList();
        if (goneNames is not null)
        {
            // A peer both gone and named anew is taken as named (the relay measures it again).
            expected = [.. heldLinks.Where(l => !goneNames.Contains(l.Peer)).Select(l => last.GetValueOrDefault(l.Peer) ?? l)
                .Concat(newsLinks.Select(l => l.Peer).Distinct().Where(p => heldLinks.All(h => h.Peer != p) || goneNames.Contains(p)).Select(p => last[p]))];
        }

        return whole.Since is null && whole.Gone is null && whole.Sequence == 2 && whole.Links.SequenceEqual(expected);
    }

    [Fact]
    public void A_report_with_no_news_keeps_the_very_list_held()
    {
        var held = new RoomReport { Sequence = 1, Links = [new LinkEstimate { Peer = "p0", RttMs = 10 }] };
        var whole = ReportAmendment.Apply(held, new RoomReport { Sequence = 2, Since = 1 });
        Assert.Same(held.Links, whole.Links);
        Assert.Equal(2, whole.Sequence);
    }
}
