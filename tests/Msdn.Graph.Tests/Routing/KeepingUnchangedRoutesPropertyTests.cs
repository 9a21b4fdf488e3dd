using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;

namespace Msdn.Graph.Tests.Routing;

/// <summary>
/// Keeping the held routes while deciding pairs (what a controller publishes) against computing the whole
/// table and keeping them afterwards: the same routes, costs included, and the very same rows shared.
/// </summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 150)]
public sealed class KeepingUnchangedRoutesPropertyTests
{
    private static readonly CostModel Costs = new(new CostModelOptions());

    [Property]
    public bool Keeping_while_deciding_equals_keeping_afterwards(RandomWorld world, WorldChange change, WorldChange another)
    {
        var computer = new RouteComputer(Costs, new HysteresisOptions());
        var first = computer.Compute(world.Build());
        foreach (var next in new[] { world.Build(change.Apply), world.Build(another.Apply), world.Build() })
        {
            foreach (var threads in new[] { 1, 3 })
            {
                var parallel = new RouteComputer(Costs, new HysteresisOptions(), threads);
                var expected = parallel.Compute(next, first).KeepingUnchangedRoutesOf(first);
                var kept = parallel.ComputeKeepingUnchangedRoutes(next, first);
                Assert.Equal(expected.Version, kept.Version);
                Assert.True(expected.SameRoutesAs(kept));
                for (var s = 0; s < kept.Rows.Length; s++)
                {
                    Assert.Equal(ReferenceEquals(expected.Rows[s], first.Rows[s]), ReferenceEquals(kept.Rows[s], first.Rows[s]));
                }

                Assert.Equal(expected.SharesEveryRowWith(first), kept.SharesEveryRowWith(first));
            }
        }

        return true;
    }

    [Property]
    public bool Over_other_rooms_nothing_is_kept(RandomWorld world, WorldChange change)
    {
        var computer = new RouteComputer(Costs, new HysteresisOptions());
        var first = computer.Compute((world with { Rooms = world.Rooms + 1 }).Build());
        var next = world.Build(change.Apply);
        var kept = computer.ComputeKeepingUnchangedRoutes(next, first);
        Assert.True(computer.Compute(next, first).SameRoutesAs(kept));
        Assert.False(kept.SharesEveryRowWith(first));
        return true;
    }
}
