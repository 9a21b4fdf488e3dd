using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Msdn.Graph.Routing;

/// <summary>
/// All-pairs least costs (a blocked SIMD Floyd–Warshall over the dense matrix, ~50 ms at 1,000 rooms
/// where N Dijkstra runs through a general graph library take ~10 s), then every pair's next hop and best
/// alternative first hop (a min-plus sweep, four targets at a time). Together ~2·N³ vector lanes: what
/// keeps a full table inside its budget.
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
        BestBound = new float[alternateBound.Length];
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

    /// <param name="parallelism">Threads for the first-hop pass (per target, independent).</param>
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
        var paths = new ShortestPaths(n, stride, toTarget, new int[toTarget.Length], new int[toTarget.Length], new float[toTarget.Length]);
        var groups = n / 4;
        Workers.ForRanges(groups, parallelism, (_, from, to) =>
        {
            for (var g = from; g < to; g++)
            {
                paths.ComputeFirstHops(graph, 4 * g, (4 * g) + 1, (4 * g) + 2, (4 * g) + 3);
            }
        });

        for (var t = 4 * groups; t < n; t++)
        {
            paths.ComputeFirstHops(graph, t);
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

    /// <summary>Copies the least-cost path from → to (both ends included) into <paramref name="path"/>; false when unreachable.</summary>
    public bool TryGetPath(int from, int to, List<int> path)
    {
        path.Clear();
        if (NextHopAt(from, to) < 0)
        {
            return false;
        }

        path.Add(from);
        var at = from;
        while (at != to)
        {
            at = NextHopAt(at, to);
            path.Add(at);
        }

        return true;
    }

    /// <summary>
    /// <see cref="ComputeFirstHops(DenseGraph, int)"/> for four targets in one sweep: each row of incoming
    /// link costs is read once for all four (the sweep is bound by reading that 4 MB matrix from L3, so
    /// this quarters its cost), and the common case (no source improves for any of them) is one load, four
    /// adds and compares, and a branch. Same results (tests check).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ComputeFirstHops(DenseGraph graph, int t0, int t1, int t2, int t3)
    {
        int n = Count, stride = Stride, width = Vector<float>.Count;
        Span<int> targets = [t0, t1, t2, t3];
        foreach (var t in targets)
        {
            var row = t * stride;
            BestBound.AsSpan(row, stride).Fill(float.PositiveInfinity);
            NextHop.AsSpan(row, stride).Fill(-1);
            AlternateHop.AsSpan(row, stride).Fill(-1);
            AlternateBound.AsSpan(row, stride).Fill(float.PositiveInfinity);
        }

        ref var into0 = ref MemoryMarshal.GetArrayDataReference(graph.TransposedWeights);
        ref var second0 = ref MemoryMarshal.GetArrayDataReference(AlternateBound);
        nuint r0 = (nuint)(t0 * stride), r1 = (nuint)(t1 * stride), r2 = (nuint)(t2 * stride), r3 = (nuint)(t3 * stride);
        for (var x = 0; x < n; x++)
        {
            var v0 = new Vector<float>(Distance[(int)r0 + x]);
            var v1 = new Vector<float>(Distance[(int)r1 + x]);
            var v2 = new Vector<float>(Distance[(int)r2 + x]);
            var v3 = new Vector<float>(Distance[(int)r3 + x]);
            var rowX = (nuint)(x * stride);
            for (nuint s = 0; s < (nuint)stride; s += (nuint)width)
            {
                var into = Vector.LoadUnsafe(ref into0, rowX + s); // w(s, x) for a vector of sources
                var c0 = into + v0;
                var c1 = into + v1;
                var c2 = into + v2;
                var c3 = into + v3;
                var m0 = Vector.LessThan(c0, Vector.LoadUnsafe(ref second0, r0 + s));
                var m1 = Vector.LessThan(c1, Vector.LoadUnsafe(ref second0, r1 + s));
                var m2 = Vector.LessThan(c2, Vector.LoadUnsafe(ref second0, r2 + s));
                var m3 = Vector.LessThan(c3, Vector.LoadUnsafe(ref second0, r3 + s));
                if ((m0 | m1 | m2 | m3) == Vector<int>.Zero)
                {
                    continue;
                }

                Offer(r0 + s, c0, m0, x);
                Offer(r1 + s, c1, m1, x);
                Offer(r2 + s, c2, m2, x);
                Offer(r3 + s, c3, m3, x);
            }
        }

        foreach (var t in targets)
        {
            NextHop[(t * stride) + t] = t;
        }
    }

    /// <summary>Inserts candidate hop x where it beats the second best (lanes in <paramref name="beatsSecond"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Offer(nuint at, Vector<float> candidate, Vector<int> beatsSecond, int x)
    {
        if (beatsSecond == Vector<int>.Zero)
        {
            return;
        }

        ref var b1 = ref MemoryMarshal.GetArrayDataReference(BestBound);
        ref var h1 = ref MemoryMarshal.GetArrayDataReference(NextHop);
        ref var b2 = ref MemoryMarshal.GetArrayDataReference(AlternateBound);
        ref var h2 = ref MemoryMarshal.GetArrayDataReference(AlternateHop);
        var hop = new Vector<int>(x);
        var first = Vector.LoadUnsafe(ref b1, at);
        var firstHop = Vector.LoadUnsafe(ref h1, at);
        var beatsFirst = Vector.LessThan(candidate, first);
        Vector.ConditionalSelect(beatsFirst, first, Vector.ConditionalSelect(beatsSecond, candidate, Vector.LoadUnsafe(ref b2, at))).StoreUnsafe(ref b2, at);
        Vector.ConditionalSelect(beatsFirst, firstHop, Vector.ConditionalSelect(beatsSecond, hop, Vector.LoadUnsafe(ref h2, at))).StoreUnsafe(ref h2, at);
        Vector.ConditionalSelect(beatsFirst, candidate, first).StoreUnsafe(ref b1, at);
        Vector.ConditionalSelect(beatsFirst, hop, firstHop).StoreUnsafe(ref h1, at);
    }
}
