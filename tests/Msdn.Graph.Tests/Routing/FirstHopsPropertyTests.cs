using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tests.Support;

namespace Msdn.Graph.Tests.Routing;

/// <summary>The vectorised first-hop sweeps (one target; blocks of sources, two targets at a time, with AVX) against the scalar per-pair scan.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 100)]
public sealed class FirstHopsPropertyTests
{
    [Property]
    public bool Sweeps_agree_with_the_per_pair_scan(RandomWorld world)
    {
        var graph = DenseGraph.From(world.Build(), new CostModel(new CostModelOptions()));
        var swept = ShortestPaths.Compute(graph); // blocks of eight sources, two targets at a time (an odd last one twice over)
        var single = ShortestPaths.Compute(graph);
        for (var t = 0; t < graph.Count; t++)
        {
            single.ComputeFirstHops(graph, t);
        }

        var scalar = ShortestPaths.Compute(graph);
        for (var t = 0; t < graph.Count; t++)
        {
            for (var s = 0; s < graph.Count; s++)
            {
                if (s != t)
                {
                    FirstHopsForPair(graph, scalar, s, t);
                }
            }
        }

        for (var t = 0; t < graph.Count; t++)
        {
            for (var s = 0; s < graph.Count; s++)
            {
                if (s == t)
                {
                    continue;
                }

                foreach (var other in new[] { single, scalar })
                {
                    Assert.Equal(other.NextHopAt(s, t), swept.NextHopAt(s, t));
                    Assert.Equal(other.AlternateHopAt(s, t), swept.AlternateHopAt(s, t));
                    Assert.Equal(other.AlternateBound[(t * graph.Stride) + s], swept.AlternateBound[(t * graph.Stride) + s]);
                }
            }
        }

        return true;
    }

    /// <summary>The two best distinct first hops for one pair, scanned one room at a time: the reference for the sweeps.</summary>
    private static void FirstHopsForPair(DenseGraph graph, ShortestPaths paths, int s, int t)
    {
        float b1 = float.PositiveInfinity, b2 = float.PositiveInfinity;
        int h1 = -1, h2 = -1;
        int rowS = s * paths.Stride, rowT = t * paths.Stride;
        for (var x = 0; x < paths.Count; x++)
        {
            var c = graph.Weights[rowS + x] + paths.Distance[rowT + x];
            if (c < b1)
            {
                (b2, h2, b1, h1) = (b1, h1, c, x);
            }
            else if (c < b2)
            {
                (b2, h2) = (c, x);
            }
        }

        paths.NextHop[rowT + s] = h1;
        paths.BestBound[rowT + s] = b1;
        paths.AlternateHop[rowT + s] = h2;
        paths.AlternateBound[rowT + s] = b2;
    }
}
