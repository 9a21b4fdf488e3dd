using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Msdn.Graph.Routing;

/// <summary>
/// All-pairs least costs (a blocked SIMD Floyd–Warshall over the dense matrix, ~50 ms at 1,000 rooms
/// where N Dijkstra runs through a general graph library take ~10 s), then every pair's next hop and best
/// alternative first hop (a min-plus sweep, eight sources and two targets at a time, its running best two in registers).
/// Together ~2·N³ vector lanes: what keeps a full table inside its budget.
///
/// Stored by target ("toward t" rows): <see cref="Distance"/>[t * Stride + x] is the cost from x to t and
/// <see cref="NextHop"/>[t * Stride + x] the room after x on the least-cost path to t (-1 when t is
/// unreachable from x). For a fixed t the next hops form an in-tree rooted at t, and everything the route
/// computer reads for one target lies in one row.
/// </summary>
internal sealed partial class ShortestPaths
{
    private ShortestPaths(int count, int stride, float[] distance, int[] nextHop, int[] alternateHop, float[] alternateBound)
    {
        Count = count;
        Stride = stride;
        Distance = distance;
        NextHop = nextHop;
        AlternateHop = alternateHop;
        AlternateBound = alternateBound;
        BestBound = GC.AllocateUninitializedArray<float>(alternateBound.Length);
    }

    public int Count { get; }

    public int Stride { get; }

    public float[] Distance { get; }

    public int[] NextHop { get; }

    /// <summary>[t * Stride + s]: the best first hop from s toward t other than <see cref="NextHop"/>'s, -1 when none reaches t.</summary>
    public int[] AlternateHop { get; }

    /// <summary>[t * Stride + s]: w(s, alternate) + d(alternate, t), a lower bound on any backup leaving s elsewhere than the primary.</summary>
    public float[] AlternateBound { get; }

    /// <summary>[t * Stride + s]: w(s, next hop) + d(next hop, t), the bound <see cref="NextHop"/> won with (equal to the distance up to rounding).</summary>
    public float[] BestBound { get; }

    public int AlternateHopAt(int from, int to) => AlternateHop[(to * Stride) + from];

    public float DistanceAt(int from, int to) => Distance[(to * Stride) + from];

    public int NextHopAt(int from, int to) => NextHop[(to * Stride) + from];

    /// <param name="parallelism">Threads for Floyd–Warshall and the first-hop pass (per block of sources, independent).</param>
    public static ShortestPaths Compute(DenseGraph graph, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int n = graph.Count, stride = graph.Stride;
        // Floyd–Warshall over the reversed graph (the transposed matrix) yields the distances already
        // laid out by target: the least cost from t to x against the links is the cost from x to t.
        var toTarget = (float[])graph.TransposedWeights.Clone();
        for (var i = 0; i < n; i++)
        {
            toTarget[(i * stride) + i] = 0;
        }

        FloydWarshall.Run(toTarget, n, stride, parallelism);
        // Every row of the first-hop arrays is written whole by its target's sweep: not zeroed first (4 MB a table at 500 rooms).
        var paths = new ShortestPaths(n, stride, toTarget, GC.AllocateUninitializedArray<int>(toTarget.Length), GC.AllocateUninitializedArray<int>(toTarget.Length), GC.AllocateUninitializedArray<float>(toTarget.Length));
        if (Avx.IsSupported && stride % Vector256<float>.Count == 0)
        {
            Workers.ForRanges(stride / Vector256<float>.Count, parallelism, (from, to) => paths.ComputeFirstHopsFromBlocks(graph, from, to));
        }
        else
        {
            Workers.ForRanges(n, parallelism, (from, to) =>
            {
                for (var t = from; t < to; t++)
                {
                    paths.ComputeFirstHops(graph, t);
                }
            });
        }

        return paths;
    }

    /// <summary>
    /// Row t of <see cref="NextHop"/>, <see cref="AlternateHop"/> and <see cref="AlternateBound"/>: for every
    /// source s the two best distinct first hops x by w(s,x) + d(x,t). The best is the least-cost path's
    /// first hop (so Floyd–Warshall need not track next hops); the second is where a disjoint backup
    /// most cheaply leaves s. One masked min-plus sweep per target, vectorised over sources; the common
    /// case (no improvement) costs one compare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ComputeFirstHops(DenseGraph graph, int t)
    {
        int n = Count, stride = Stride, width = Vector<float>.Count;
        var rowT = t * stride;
        BestBound.AsSpan(rowT, stride).Fill(float.PositiveInfinity);
        NextHop.AsSpan(rowT, stride).Fill(-1);
        AlternateHop.AsSpan(rowT, stride).Fill(-1);
        AlternateBound.AsSpan(rowT, stride).Fill(float.PositiveInfinity);
        ref var into0 = ref MemoryMarshal.GetArrayDataReference(graph.TransposedWeights);
        ref var b1 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(BestBound), rowT);
        ref var h1 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(NextHop), rowT);
        ref var b2 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(AlternateBound), rowT);
        ref var h2 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(AlternateHop), rowT);
        for (var x = 0; x < n; x++)
        {
            var onward = Distance[rowT + x];
            if (float.IsPositiveInfinity(onward))
            {
                continue;
            }

            var viaX = new Vector<float>(onward);
            var hopX = new Vector<int>(x);
            var rowX = (nuint)(x * stride);
            for (nuint s = 0; s < (nuint)stride; s += (nuint)width)
            {
                var candidate = viaX + Vector.LoadUnsafe(ref into0, rowX + s); // w(s, x) + d(x, t) for a vector of sources
                var second = Vector.LoadUnsafe(ref b2, s);
                var beatsSecond = Vector.LessThan(candidate, second);
                if (beatsSecond == Vector<int>.Zero)
                {
                    continue;
                }

                var first = Vector.LoadUnsafe(ref b1, s);
                var firstHop = Vector.LoadUnsafe(ref h1, s);
                var beatsFirst = Vector.LessThan(candidate, first);
                Vector.ConditionalSelect(beatsFirst, first, Vector.ConditionalSelect(beatsSecond, candidate, second)).StoreUnsafe(ref b2, s);
                Vector.ConditionalSelect(beatsFirst, firstHop, Vector.ConditionalSelect(beatsSecond, hopX, Vector.LoadUnsafe(ref h2, s))).StoreUnsafe(ref h2, s);
                Vector.ConditionalSelect(beatsFirst, candidate, first).StoreUnsafe(ref b1, s);
                Vector.ConditionalSelect(beatsFirst, hopX, firstHop).StoreUnsafe(ref h1, s);
            }
        }

        NextHop[rowT + t] = t;
    }

    /// <summary>Writes the least-cost path from → to (both ends included) into <paramref name="path"/> (room for every room) and returns its length; 0 when unreachable.</summary>
    public int GetPath(int from, int to, Span<int> path)
    {
        if (NextHopAt(from, to) < 0)
        {
            return 0;
        }

        path[0] = from;
        var length = 1;
        for (var at = from; at != to; length++)
        {
            at = NextHopAt(at, to);
            path[length] = at;
        }

        return length;
    }

    /// <summary>
    /// <see cref="ComputeFirstHops(DenseGraph, int)"/> for every target, for the sources of blocks
    /// [<paramref name="fromBlock"/>, <paramref name="toBlock"/>) of eight, with AVX. A block's weights
    /// w(s, x) for every x are first copied into one contiguous 16 KB panel (at 500 rooms), which stays in
    /// the L1 cache while every target sweeps it; sweeping target by target instead read the whole 1 MB
    /// matrix once per target, 32 bytes of each line at a time, from further out (23 → 17 ms at 500 rooms).
    /// Two targets at a time: for the block's eight sources both targets' running best and second best
    /// (costs and hops: eight registers) stay in registers through all x, updated without branches, and are
    /// stored once; twice as fast as the branchy masked sweep, whose early x keep improving some lane. Explicit
    /// blends: the JIT spells <c>Vector.ConditionalSelect</c> as and/andn/or, three operations on the
    /// loop-carried chain instead of one. Same x order and strict comparisons as the single-target sweep,
    /// so the same results bit for bit (tests check).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeFirstHopsFromBlocks(DenseGraph graph, int fromBlock, int toBlock)
    {
        int n = Count, stride = Stride, width = Vector256<float>.Count;
        var panel = GC.AllocateUninitializedArray<float>(n * width);
        ref var panel0 = ref MemoryMarshal.GetArrayDataReference(panel);
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(Distance);
        ref var best0 = ref MemoryMarshal.GetArrayDataReference(BestBound);
        ref var second0 = ref MemoryMarshal.GetArrayDataReference(AlternateBound);
        ref var bestHop0 = ref MemoryMarshal.GetArrayDataReference(NextHop);
        ref var secondHop0 = ref MemoryMarshal.GetArrayDataReference(AlternateHop);
        var none = Vector256.Create(-1).AsSingle();
        for (var block = fromBlock; block < toBlock; block++)
        {
            var first = block * width;
            for (var x = 0; x < n; x++)
            {
                graph.TransposedWeights.AsSpan((x * stride) + first, width).CopyTo(panel.AsSpan(x * width));
            }

            var s = (nuint)first;
            for (var t0 = 0; t0 < n; t0 += 2)
            {
                var t1 = Math.Min(t0 + 1, n - 1); // an odd last target is swept twice over: the same results
                nuint rowA = (nuint)(t0 * stride), rowB = (nuint)(t1 * stride);

                // Hops ride in float registers as their int bits: blends move bits, never arithmetic.
                Vector256<float> bestA = Vector256.Create(float.PositiveInfinity), secondA = bestA, bestB = bestA, secondB = bestA;
                Vector256<float> bestHopA = none, secondHopA = none, bestHopB = none, secondHopB = none;
                var hop = Vector256<int>.Zero;
                for (var x = 0; x < n; x++)
                {
                    var into = Vector256.LoadUnsafe(ref panel0, (nuint)(x * width)); // w(s, x) for the block's eight sources
                    var hopX = hop.AsSingle();
                    Offer(Avx.Add(into, Vector256.Create(Unsafe.Add(ref d0, rowA + (nuint)x))), hopX, ref bestA, ref bestHopA, ref secondA, ref secondHopA);
                    Offer(Avx.Add(into, Vector256.Create(Unsafe.Add(ref d0, rowB + (nuint)x))), hopX, ref bestB, ref bestHopB, ref secondB, ref secondHopB);
                    hop += Vector256<int>.One;
                }

                bestA.StoreUnsafe(ref best0, rowA + s);
                secondA.StoreUnsafe(ref second0, rowA + s);
                bestHopA.AsInt32().StoreUnsafe(ref bestHop0, rowA + s);
                secondHopA.AsInt32().StoreUnsafe(ref secondHop0, rowA + s);
                bestB.StoreUnsafe(ref best0, rowB + s);
                secondB.StoreUnsafe(ref second0, rowB + s);
                bestHopB.AsInt32().StoreUnsafe(ref bestHop0, rowB + s);
                secondHopB.AsInt32().StoreUnsafe(ref secondHop0, rowB + s);
            }

            // A target in this block is its own next hop (its sweep found none: no link to itself).
            for (var t = first; t < Math.Min(n, first + width); t++)
            {
                NextHop[(t * stride) + t] = t;
            }
        }
    }

    /// <summary>Candidate costs c via hop x: where c beats the best, the best moves down to second; else where it beats the second, it takes its place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(Vector256<float> c, Vector256<float> x, ref Vector256<float> best, ref Vector256<float> bestHop, ref Vector256<float> second, ref Vector256<float> secondHop)
    {
        var beatsBest = Avx.Compare(c, best, FloatComparisonMode.OrderedLessThanNonSignaling);
        var beatsSecond = Avx.Compare(c, second, FloatComparisonMode.OrderedLessThanNonSignaling);
        second = Avx.BlendVariable(Avx.BlendVariable(second, c, beatsSecond), best, beatsBest);
        secondHop = Avx.BlendVariable(Avx.BlendVariable(secondHop, x, beatsSecond), bestHop, beatsBest);
        best = Avx.BlendVariable(best, c, beatsBest);
        bestHop = Avx.BlendVariable(bestHop, x, beatsBest);
    }
}
