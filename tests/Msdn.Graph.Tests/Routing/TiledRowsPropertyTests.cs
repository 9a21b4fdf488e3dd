using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;

namespace Msdn.Graph.Tests.Routing;

/// <summary>
/// The route computer decides pairs in tiles of targets × sources (for the cache); worlds larger than a
/// tile, on one thread and on three, give exactly the rows of deciding one source after another.
/// </summary>
public sealed class TiledRowsPropertyTests
{
    private static readonly CostModel Costs = new(new CostModelOptions());
    private static readonly HysteresisOptions Margins = new();

    public static Arbitrary<(RandomWorld World, WorldChange Change)> LargerWorlds() =>
        (from rooms in Gen.Choose(33, 90)
         from seed in Gen.Choose(0, int.MaxValue)
         from densityPercent in Gen.Choose(30, 100)
         from noiseTenths in Gen.Choose(0, 80)
         select (new RandomWorld(rooms, seed, densityPercent / 100.0, 0.05), new WorldChange(seed ^ 0x5eed, noiseTenths / 10.0, 0.1, 0.05)))
        .ToArbitrary();

    [Property(Arbitrary = [typeof(TiledRowsPropertyTests)], MaxTest = 12)]
    public bool Tiled_rows_equal_rows_decided_source_by_source((RandomWorld World, WorldChange Change) input)
    {
        var (world, change) = input;
        var before = new RouteComputer(Costs, Margins).Compute(world.Build());
        var after = world.Build(change.Apply);
        var expected = ScalarRouting.SourceBySource(after, Costs, Margins, before, sweptCandidates: true);
        foreach (var threads in new[] { 1, 3 })
        {
            var tiled = new RouteComputer(Costs, Margins, threads).Compute(after, before);
            for (var s = 0; s < expected.Length; s++)
            {
                Assert.Equal(expected[s].Slots, tiled.Rows[s].Slots);
                Assert.Equal(expected[s].Hops, tiled.Rows[s].Hops);
            }
        }

        return true;
    }
}
