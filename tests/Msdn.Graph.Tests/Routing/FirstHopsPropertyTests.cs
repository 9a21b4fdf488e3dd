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
                    scalar.ComputeFirstHopsForPair(graph, s, t);
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
}
