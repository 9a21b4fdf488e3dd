using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tests.Support;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Routing;

/// <summary>Incremental updates must decide exactly what a full computation with the same previous table decides.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 100)]
public sealed class RouteEnginePropertyTests
{
    private static readonly CostModel Costs = new(new CostModelOptions());

    [Property]
    public bool Each_single_link_update_matches_a_full_recomputation(RandomWorld world, int updateSeed) =>
        UpdatesMatchFullRecomputation(world, updateSeed, steps: 12);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Updates_match_full_recomputation_in_a_larger_dense_world(int seed) =>
        Assert.True(UpdatesMatchFullRecomputation(new RandomWorld(40, seed, 0.9, 0.05), seed, steps: 60));

    private static bool UpdatesMatchFullRecomputation(RandomWorld world, int updateSeed, int steps)
    {
        var computer = new RouteComputer(Costs, new HysteresisOptions { MarginMs = 2, MarginPercent = 5 });
        var topology = world.Build();
        var engine = new RouteEngine(computer, topology);
        var random = new Random(updateSeed);
        var links = topology.Links.ToDictionary(l => (l.From, l.To));
        for (var step = 0; step < steps; step++)
        {
            var from = topology.Rooms[random.Next(topology.RoomCount)];
            var to = topology.Rooms[random.Next(topology.RoomCount)];
            if (from == to)
            {
                continue;
            }

            // Cheaper, dearer, new, down or back up: whatever the dice say.
            var quality = new LinkQuality(1 + (random.NextDouble() * 100), random.NextDouble() * 4, random.NextDouble() < 0.2 ? 0.05 : 0, random.NextDouble() > 0.25, DateTimeOffset.UnixEpoch);
            var link = new Link(from, to, quality);
            links[(from, to)] = link;
            var before = engine.Table;
            var updated = engine.UpdateLink(link);
            var expected = computer.Compute(TopologySnapshot.Create(topology.Rooms, links.Values), before);
            TableAssert.SamePaths(expected, updated);
        }

        return true;
    }

    [Fact]
    public void Unchanged_estimate_keeps_the_version()
    {
        var topology = new RandomWorld(5, 1, 1.0, 0).Build();
        var engine = new RouteEngine(new RouteComputer(Costs, new HysteresisOptions()), topology);
        var table = engine.UpdateLink(topology.Links[0]);
        Assert.Equal(1, table.Version);
        Assert.Equal(0, engine.LastPairsRerouted);
    }

    [Fact]
    public void Unknown_room_is_a_typed_error_and_the_engine_keeps_serving()
    {
        var topology = new RandomWorld(5, 1, 1.0, 0).Build();
        var engine = new RouteEngine(new RouteComputer(Costs, new HysteresisOptions()), topology);
        Assert.Throws<UnknownRoomException>(() => engine.UpdateLink(new Link("r0", "nowhere", LinkQuality.FromRtt(1))));
        var table = engine.UpdateLink(topology.Links[0] with { Quality = LinkQuality.FromRtt(500) });
        Assert.Equal(2, table.Version);
    }
}
