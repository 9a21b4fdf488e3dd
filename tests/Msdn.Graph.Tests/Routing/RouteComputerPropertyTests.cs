using FsCheck;
using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Routing;

/// <summary>The route computer against brute-force oracles on random small worlds.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 200)]
public sealed class RouteComputerPropertyTests
{
    private static readonly CostModel Costs = new(new CostModelOptions());

    [Property]
    public bool Primary_costs_equal_the_oracle_and_every_reachable_pair_has_a_route(RandomWorld world)
    {
        var topology = world.Build();
        var oracle = new Oracle(topology, Costs);
        var table = new RouteComputer(Costs, HysteresisOptions.None).Compute(topology);
        foreach (var from in topology.Rooms)
        {
            foreach (var to in topology.Rooms.Where(r => r != from))
            {
                var expected = oracle.Distance(from, to);
                var route = table.Find(from, to);
                if (route is null)
                {
                    Assert.True(double.IsPositiveInfinity(expected), $"{from}->{to}: no route but oracle says {expected}");
                    continue;
                }

                Assert.Equal(from, route.Primary[0]);
                Assert.Equal(to, route.Primary[^1]);
                Assert.True(Oracle.Close(expected, route.Cost), $"{from}->{to}: cost {route.Cost}, oracle {expected}");
                Assert.True(Oracle.Close(oracle.PathCost(route.Primary), route.Cost), $"{from}->{to}: cost is not the path's cost");
            }
        }

        return true;
    }

    [Property]
    public bool No_route_uses_a_down_or_missing_link(RandomWorld world)
    {
        var topology = world.Build();
        var oracle = new Oracle(topology, Costs);
        var table = new RouteComputer(Costs, HysteresisOptions.None).Compute(topology);
        foreach (var route in table.Routes())
        {
            AssertUsable(oracle, route.Primary);
            if (route.Backup is { } backup)
            {
                AssertUsable(oracle, backup);
            }
        }

        return true;
    }

    [Property]
    public bool Backup_is_disjoint_optimal_and_reported_exactly_when_one_exists(RandomWorld world) => BackupsMatchOracle(world);

    [Theory]
    [InlineData(60, 1, 0.9)]
    [InlineData(60, 2, 0.3)]
    [InlineData(45, 3, 0.7)]
    public void Backups_match_the_oracle_in_larger_worlds(int rooms, int seed, double density) =>
        Assert.True(BackupsMatchOracle(new RandomWorld(rooms, seed, density, 0.05)));

    private static bool BackupsMatchOracle(RandomWorld world)
    {
        var topology = world.Build();
        var oracle = new Oracle(topology, Costs);
        var table = new RouteComputer(Costs, HysteresisOptions.None).Compute(topology);
        foreach (var route in table.Routes())
        {
            var primaryLinks = Links(route.Primary);
            var intermediates = route.Primary.Skip(1).SkipLast(1).ToHashSet();
            var withoutDirect = intermediates.Count == 0 ? primaryLinks : [];

            // The specification: prefer a backup with no room of the primary, else one with no link of it.
            var roomDisjoint = oracle.Distance(route.From, route.To, intermediates, withoutDirect);
            var linkDisjoint = oracle.Distance(route.From, route.To, withoutLinks: primaryLinks);
            var label = $"{route.From}->{route.To} primary {Route.Format(route.Primary)}";
            if (double.IsPositiveInfinity(linkDisjoint))
            {
                Assert.False(route.HasBackup, $"{label}: backup reported but none exists");
                continue;
            }

            Assert.True(route.HasBackup, $"{label}: a backup exists ({linkDisjoint}) but none was reported");
            var backup = route.Backup!.Value;
            Assert.Empty(Links(backup).Intersect(primaryLinks));
            Assert.Equal(backup.Length, backup.Distinct().Count());
            if (double.IsFinite(roomDisjoint))
            {
                Assert.Empty(backup.Skip(1).SkipLast(1).Intersect(intermediates));
                Assert.True(Oracle.Close(roomDisjoint, route.BackupCost!.Value), $"{label}: backup cost {route.BackupCost}, oracle {roomDisjoint}");
            }
            else
            {
                Assert.True(Oracle.Close(linkDisjoint, route.BackupCost!.Value), $"{label}: backup cost {route.BackupCost}, oracle {linkDisjoint}");
            }

            Assert.True(Oracle.Close(oracle.PathCost(backup), route.BackupCost!.Value));
        }

        return true;
    }

    [Property]
    public bool Vectorised_backup_pass_agrees_with_the_per_pair_scan(RandomWorld world)
    {
        var topology = world.Build();
        var fast = new RouteComputer(Costs, HysteresisOptions.None).Compute(topology);
        var slow = ScalarRouting.Compute(topology, Costs);
        TableAssert.SamePaths(slow, fast);
        return true;
    }

    [Property]
    public bool Latency_only_costs_are_plain_shortest_rtt_paths(RandomWorld world)
    {
        var latencyOnly = new CostModel(CostModelOptions.LatencyOnly);
        var topology = world.Build();
        var oracle = new Oracle(topology, latencyOnly);
        var table = new RouteComputer(latencyOnly, HysteresisOptions.None).Compute(topology);
        foreach (var route in table.Routes())
        {
            var rtt = 0.0;
            for (var i = 0; i < route.Primary.Length - 1; i++)
            {
                rtt += topology.Links.Single(l => l.From == route.Primary[i] && l.To == route.Primary[i + 1]).Quality.RttMs;
            }

            Assert.True(Oracle.Close(oracle.Distance(route.From, route.To), rtt));
        }

        return true;
    }

    private static HashSet<(RoomId, RoomId)> Links(IReadOnlyList<RoomId> path) =>
        Enumerable.Range(0, path.Count - 1).Select(i => (path[i], path[i + 1])).ToHashSet();

    private static void AssertUsable(Oracle oracle, IReadOnlyList<RoomId> path)
    {
        for (var i = 0; i < path.Count - 1; i++)
        {
            Assert.True(oracle.HasUsableLink(path[i], path[i + 1]), $"path {Route.Format(path)} uses {path[i]}->{path[i + 1]}, which is down or absent");
        }
    }
}
