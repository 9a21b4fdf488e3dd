using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Tests.Failover;

/// <summary>The freshly computed path a relay takes when a route's primary and backup have both failed.</summary>
public sealed class LocalDetourTests
{
    private static readonly RoomId A = "a", B = "b", C = "c", D = "d", E = "e";

    // A>B>C (20) primary, A>D>C (30) backup; E reaches C at 25 and A at 40; A–C direct at 100.
    private static readonly RouteTable Table = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions())
        .Compute(TopologySnapshot.Create([A, B, C, D, E], [.. Both(A, B, 10), .. Both(B, C, 10), .. Both(A, D, 15), .. Both(D, C, 15), .. Both(A, E, 40), .. Both(E, C, 25), .. Both(A, C, 100)]));

    private static readonly (RoomId, double)[] Live = [(B, 10), (D, 15), (E, 40), (C, 100)];

    [Fact]
    public void Takes_the_cheapest_live_first_hop_then_the_table_avoiding_what_failed()
    {
        IReadOnlyList<RoomId>[] failed = [[A, B, C], [A, D, C]];
        Assert.Equal<RoomId>([A, E, C], LocalDetour.Find(Table, A, C, Live, (_, _) => false, failed)!);
    }

    [Fact]
    public void Skips_links_reported_down_and_first_hops_the_probe_does_not_see_up()
    {
        IReadOnlyList<RoomId>[] failed = [[A, B, C], [A, D, C]];
        Assert.Equal<RoomId>([A, C], LocalDetour.Find(Table, A, C, Live, (x, y) => (x, y) == (E, C), failed)!);
        Assert.Equal<RoomId>([A, C], LocalDetour.Find(Table, A, C, [(B, 10), (D, 15), (C, 100)], (_, _) => false, failed)!);
    }

    [Fact]
    public void Never_loops_back_through_itself_and_may_find_nothing()
    {
        // From B the table's route to C is direct; B>A>... would revisit A: only first hops that do not loop count.
        IReadOnlyList<RoomId>[] failed = [[A, B, C], [A, D, C], [A, E, C], [A, C]];
        Assert.Null(LocalDetour.Find(Table, A, C, Live, (_, _) => false, failed)!);
        Assert.Null(LocalDetour.Find(Table, A, C, [(A, 1)], (_, _) => false, []));
    }

    private static Link[] Both(RoomId x, RoomId y, double rtt) => [new(x, y, LinkQuality.FromRtt(rtt)), new(y, x, LinkQuality.FromRtt(rtt))];
}
