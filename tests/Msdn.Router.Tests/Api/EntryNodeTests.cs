using Msdn.Router.Api;
using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Api;

/// <summary>Which relay of the ingress room a media engine connects to: two random choices among the serving ones.</summary>
public sealed class EntryNodeTests
{
    [Fact]
    public void A_burst_of_engines_spreads_over_equally_loaded_relays()
    {
        var nodes = Enumerable.Range(1, 4).Select(i => Node($"10.0.0.{i}:7000", 0.3)).ToArray();
        var counts = Burst(nodes, 200, seed: 7);
        Assert.Equal(4, counts.Count);
        Assert.InRange((double)counts.Values.Max() / counts.Values.Min(), 1.0, 2.0);
    }

    [Fact]
    public void Lighter_relays_get_more_and_the_heaviest_of_three_none_but_no_relay_takes_the_whole_burst()
    {
        var nodes = new[] { Node("10.0.0.1:7000", 0.1), Node("10.0.0.2:7000", 0.5), Node("10.0.0.3:7000", 0.9) };
        var counts = Burst(nodes, 200, seed: 11);

        // The lightest wins whenever it is drawn (2 pairs in 3), the middle one otherwise, the heaviest never.
        Assert.InRange(counts.GetValueOrDefault("10.0.0.1:7000"), 110, 155);
        Assert.InRange(counts.GetValueOrDefault("10.0.0.2:7000"), 45, 90);
        Assert.Equal(0, counts.GetValueOrDefault("10.0.0.3:7000"));
    }

    [Fact]
    public void Only_serving_relays_heard_from_are_chosen_and_the_rest_are_listed_to_fall_back_on()
    {
        var nodes = new[]
        {
            Node("10.0.0.1:7000", 0.1) with { RelayState = "Draining" },
            Node("10.0.0.2:7000", 0.1) with { Liveness = RoomLiveness.Unreachable },
            Node("10.0.0.3:7000", 0.5),
            Node("10.0.0.4:7000", 0.6),
        };
        for (var draw = 0UL; draw < 64; draw++)
        {
            var (chosen, serving) = EntryNode.Choose(nodes, draw * 0x9E3779B97F4A7C15UL);
            Assert.Contains(chosen!.RelayEndpoint, new[] { "10.0.0.3:7000", "10.0.0.4:7000" });
            Assert.Equal(chosen, serving[0]);
            Assert.Equal(2, serving.Count);
        }

        Assert.Null(EntryNode.Choose([nodes[0], nodes[1]], 1).Chosen);
    }

    [Fact]
    public void A_relay_gone_silent_is_chosen_only_when_no_relay_heard_from_lately_serves()
    {
        var silent = Node("10.0.0.1:7000", 0.0) with { Liveness = RoomLiveness.Stale }; // killed a few seconds ago: still listed, lightest
        var live = Node("10.0.0.2:7000", 0.9);
        for (var draw = 0UL; draw < 64; draw++)
        {
            Assert.Equal("10.0.0.2:7000", EntryNode.Choose([silent, live], draw * 0x9E3779B97F4A7C15UL).Chosen!.RelayEndpoint);
        }

        Assert.Equal("10.0.0.1:7000", EntryNode.Choose([silent, live with { RelayState = "Draining" }], 5).Chosen!.RelayEndpoint);
    }

    private static Dictionary<string, int> Burst(NodeSummary[] nodes, int engines, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, engines)
            .Select(_ => EntryNode.Choose(nodes, (ulong)random.NextInt64()).Chosen!.RelayEndpoint)
            .CountBy(e => e)
            .ToDictionary();
    }

    private static NodeSummary Node(string endpoint, double utilization) => new()
    {
        RelayEndpoint = endpoint,
        ClientEndpoint = endpoint.Replace(":7000", ":7100", StringComparison.Ordinal),
        RelayState = "Serving",
        Liveness = RoomLiveness.Fresh,
        Load = new RelayLoadReport { Utilization = utilization },
    };
}
