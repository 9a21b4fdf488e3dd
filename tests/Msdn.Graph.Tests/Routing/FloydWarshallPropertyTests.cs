using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tests.Support;

namespace Msdn.Graph.Tests.Routing;

/// <summary>The blocked, register-tiled Floyd–Warshall against the textbook loop.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 100)]
public sealed class FloydWarshallPropertyTests
{
    [Property]
    public bool Blocked_equals_textbook_on_small_worlds(RandomWorld world) => SameAsReference(world);

    [Theory]
    [InlineData(63, 1)]   // just under one tile
    [InlineData(64, 2)]   // exactly one tile
    [InlineData(130, 3)]  // two full tiles and a ragged one, rows not a multiple of 4
    [InlineData(257, 4)]
    [InlineData(130, 5, 2)] // block rows split between threads
    [InlineData(257, 6, 3)]
    public void Blocked_equals_textbook_across_tile_edges(int rooms, int seed, int parallelism = 1) =>
        Assert.True(SameAsReference(new RandomWorld(rooms, seed, 0.3, 0.1), parallelism));

    private static bool SameAsReference(RandomWorld world, int parallelism = 1)
    {
        var graph = DenseGraph.From(world.Build(), new CostModel(new CostModelOptions()));
        var blocked = (float[])graph.Weights.Clone();
        for (var i = 0; i < graph.Count; i++)
        {
            blocked[(i * graph.Stride) + i] = 0;
        }

        var reference = (float[])blocked.Clone();
        FloydWarshall.Run(blocked, graph.Count, graph.Stride, parallelism);
        FloydWarshall.Reference(reference, graph.Count, graph.Stride);
        for (var i = 0; i < graph.Count; i++)
        {
            for (var j = 0; j < graph.Count; j++)
            {
                var e = reference[(i * graph.Stride) + j];
                var a = blocked[(i * graph.Stride) + j];
                Assert.True(Oracle.Close(e, a), $"d({i},{j}) = {a}, textbook {e}");
            }
        }

        return true;
    }
}
