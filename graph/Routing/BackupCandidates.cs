using System.Numerics;
using System.Runtime.InteropServices;

namespace Msdn.Graph.Routing;

/// <summary>
/// For one source s and every target t at once: the first hop x ≠ (primary's first hop) minimising
/// w(s,x) + d(x,t), and that bound. This is the vectorised form of <see cref="BackupFinder"/>'s scan
/// (one min-plus row product, N² vector lanes per source instead of N² scalar steps per pair), and
/// tests check the two agree.
/// </summary>
internal static class BackupCandidates
{
    public static void ComputeRow(DenseGraph graph, ShortestPaths paths, int s, float[] bound, int[] firstHop)
    {
        int n = graph.Count, stride = graph.Stride, width = Vector<float>.Count;
        Array.Fill(bound, float.PositiveInfinity);
        Array.Fill(firstHop, -1);
        ref var dist0 = ref MemoryMarshal.GetArrayDataReference(paths.Distance);
        ref var next0 = ref MemoryMarshal.GetArrayDataReference(paths.NextHop);
        ref var bound0 = ref MemoryMarshal.GetArrayDataReference(bound);
        ref var hop0 = ref MemoryMarshal.GetArrayDataReference(firstHop);
        var rowS = (nuint)(s * stride);
        var weightRow = s * stride;
        for (var x = 0; x < n; x++)
        {
            var wsx = graph.Weights[weightRow + x];
            if (x == s || float.IsPositiveInfinity(wsx))
            {
                continue;
            }

            var viaX = new Vector<float>(wsx);
            var hopX = new Vector<int>(x);
            var rowX = (nuint)(x * stride);
            for (nuint j = 0; j < (nuint)stride; j += (nuint)width)
            {
                var candidate = viaX + Vector.LoadUnsafe(ref dist0, rowX + j);
                var current = Vector.LoadUnsafe(ref bound0, j);
                var primaryFirstHop = Vector.LoadUnsafe(ref next0, rowS + j);
                var better = Vector.AndNot(Vector.LessThan(candidate, current), Vector.Equals(primaryFirstHop, hopX));
                if (better == Vector<int>.Zero)
                {
                    continue;
                }

                Vector.ConditionalSelect(better, candidate, current).StoreUnsafe(ref bound0, j);
                Vector.ConditionalSelect(better, hopX, Vector.LoadUnsafe(ref hop0, j)).StoreUnsafe(ref hop0, j);
            }
        }
    }
}
