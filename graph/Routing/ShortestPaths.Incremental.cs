using System.Numerics;
using System.Runtime.InteropServices;

namespace Msdn.Graph.Routing;

/// <summary>
/// Keeping the all-pairs distances current when one link's cost changes, without a new Floyd–Warshall:
/// a cheaper link can only shorten paths that now run through it (one vectorised pass per target); a
/// dearer or lost link can only lengthen paths that ran through it, and those are repaired target by
/// target with a Dijkstra over just the rooms whose path to that target crossed the link.
/// </summary>
internal sealed partial class ShortestPaths
{
    /// <summary>
    /// Applies the change of link u→v (already written to <paramref name="graph"/>; <paramref name="oldCost"/>
    /// is what it cost before) to <see cref="Distance"/>, then refreshes next hops and alternates. Fills
    /// <paramref name="changed"/> with, per target whose column moved, the rooms whose distance, next hop or
    /// alternate toward it changed. The first hops of the pairs (u, t) are refreshed for every target.
    /// </summary>
    public void UpdateLink(DenseGraph graph, int u, int v, float oldCost, Dictionary<int, List<int>> changed)
    {
        changed.Clear();
        var newCost = graph[u, v];
        if (newCost < oldCost)
        {
            Shorten(u, v, newCost, changed);
        }
        else if (newCost > oldCost)
        {
            Lengthen(graph, u, v, changed);
        }

        var oldNext = new int[Stride];
        var oldAlternate = new int[Stride];
        var oldBound = new float[Stride];
        var listed = new int[Count];
        var stamp = 0;
        var shortened = newCost < oldCost;
        foreach (var (t, rooms) in changed)
        {
            var row = t * Stride;
            NextHop.AsSpan(row, Stride).CopyTo(oldNext);
            AlternateHop.AsSpan(row, Stride).CopyTo(oldAlternate);
            AlternateBound.AsSpan(row, Stride).CopyTo(oldBound);
            if (shortened)
            {
                // Only the rooms that got closer to t can enter anyone's two best first hops.
                foreach (var x in rooms)
                {
                    MergeFirstHop(graph, t, x);
                }

                NextHop[row + t] = t;
            }
            else
            {
                ComputeFirstHops(graph, t);
            }

            if (t != u)
            {
                ComputeFirstHopsForPair(graph, u, t); // u's own link costs changed: its hops toward t too
            }

            stamp++;
            foreach (var room in rooms)
            {
                listed[room] = stamp;
            }

            for (var x = 0; x < Count; x++)
            {
                if (listed[x] != stamp
                    && (oldNext[x] != NextHop[row + x] || oldAlternate[x] != AlternateHop[row + x] || !oldBound[x].Equals(AlternateBound[row + x])))
                {
                    rooms.Add(x);
                }
            }
        }

        for (var t = 0; t < Count; t++)
        {
            if (t != u && !changed.ContainsKey(t))
            {
                ComputeFirstHopsForPair(graph, u, t);
            }
        }
    }

    /// <summary>
    /// Offers x, whose distance to t just decreased, as a first hop toward t to every source at once. A
    /// source already using x as its best keeps its second; otherwise this is the insertion step of
    /// <see cref="ComputeFirstHops"/>.
    /// </summary>
    private void MergeFirstHop(DenseGraph graph, int t, int x)
    {
        int stride = Stride, width = Vector<float>.Count;
        var rowT = (nuint)(t * stride);
        var viaX = new Vector<float>(Distance[(int)rowT + x]);
        var hopX = new Vector<int>(x);
        ref var into0 = ref MemoryMarshal.GetArrayDataReference(graph.TransposedWeights);
        ref var h1 = ref MemoryMarshal.GetArrayDataReference(NextHop);
        ref var h2 = ref MemoryMarshal.GetArrayDataReference(AlternateHop);
        ref var b2 = ref MemoryMarshal.GetArrayDataReference(AlternateBound);
        ref var b1 = ref MemoryMarshal.GetArrayDataReference(BestBound);
        var rowX = (nuint)(x * stride);
        for (nuint s = 0; s < (nuint)stride; s += (nuint)width)
        {
            var candidate = viaX + Vector.LoadUnsafe(ref into0, rowX + s);
            var firstHop = Vector.LoadUnsafe(ref h1, rowT + s);
            var second = Vector.LoadUnsafe(ref b2, rowT + s);
            var first = Vector.LoadUnsafe(ref b1, rowT + s);
            var isFirst = Vector.Equals(firstHop, hopX);
            var beatsFirst = Vector.LessThan(candidate, first);
            var beatsSecond = Vector.LessThan(candidate, second);
            if ((beatsFirst | beatsSecond | isFirst) == Vector<int>.Zero)
            {
                continue;
            }

            // Where x is already the best hop only its bound moves (it got closer); elsewhere x is inserted.
            var insertFirst = Vector.AndNot(beatsFirst, isFirst);
            var insertSecond = Vector.AndNot(beatsSecond, isFirst);
            var secondHop = Vector.LoadUnsafe(ref h2, rowT + s);
            Vector.ConditionalSelect(insertFirst, first, Vector.ConditionalSelect(insertSecond, candidate, second)).StoreUnsafe(ref b2, rowT + s);
            Vector.ConditionalSelect(insertFirst, firstHop, Vector.ConditionalSelect(insertSecond, hopX, secondHop)).StoreUnsafe(ref h2, rowT + s);
            Vector.ConditionalSelect(insertFirst | isFirst, Vector.MinNative(candidate, first), first).StoreUnsafe(ref b1, rowT + s);
            Vector.ConditionalSelect(insertFirst, hopX, firstHop).StoreUnsafe(ref h1, rowT + s);
        }
    }

    /// <summary>The two best distinct first hops for one pair (the scalar form of <see cref="ComputeFirstHops"/>).</summary>
    public void ComputeFirstHopsForPair(DenseGraph graph, int s, int t)
    {
        float b1 = float.PositiveInfinity, b2 = float.PositiveInfinity;
        int h1 = -1, h2 = -1;
        var rowS = s * Stride;
        var rowT = t * Stride;
        for (var x = 0; x < Count; x++)
        {
            var c = graph.Weights[rowS + x] + Distance[rowT + x];
            if (c < b1)
            {
                (b2, h2, b1, h1) = (b1, h1, c, x);
            }
            else if (c < b2)
            {
                (b2, h2) = (c, x);
            }
        }

        NextHop[rowT + s] = h1;
        BestBound[rowT + s] = b1;
        AlternateHop[rowT + s] = h2;
        AlternateBound[rowT + s] = b2;
    }

    private void Shorten(int u, int v, float cost, Dictionary<int, List<int>> changed)
    {
        int stride = Stride, width = Vector<float>.Count;
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(Distance);
        var toU = (nuint)(u * stride); // d(s, u) for every s
        for (var t = 0; t < Count; t++)
        {
            var onward = Distance[(t * stride) + v];
            if (float.IsPositiveInfinity(onward))
            {
                continue;
            }

            // d(s, t) = min(d(s, t), d(s, u) + cost + d(v, t)); neither d(s, u) nor d(v, t) can improve
            // through u→v (that would be a cycle), so the order of targets does not matter.
            var via = new Vector<float>(cost + onward);
            var toT = (nuint)(t * stride);
            List<int>? improved = null;
            for (nuint s = 0; s < (nuint)stride; s += (nuint)width)
            {
                var candidate = Vector.LoadUnsafe(ref d0, toU + s) + via;
                var current = Vector.LoadUnsafe(ref d0, toT + s);
                var better = Vector.LessThan(candidate, current);
                if (better == Vector<int>.Zero)
                {
                    continue;
                }

                Vector.MinNative(candidate, current).StoreUnsafe(ref d0, toT + s);
                improved ??= [];
                for (var lane = 0; lane < width; lane++)
                {
                    if (better[lane] != 0)
                    {
                        improved.Add((int)s + lane);
                    }
                }
            }

            if (improved is not null)
            {
                changed[t] = improved;
            }
        }
    }

    private void Lengthen(DenseGraph graph, int u, int v, Dictionary<int, List<int>> changed)
    {
        var status = new byte[Count];
        var stack = new List<int>();
        var affected = new List<int>();
        var estimate = new float[Count];
        for (var t = 0; t < Count; t++)
        {
            if (t == u || NextHop[(t * Stride) + u] != v)
            {
                continue; // no least-cost path to t crossed u→v
            }

            CollectThroughU(t, u, status, stack, affected);
            Repair(graph, t, affected, estimate);
            changed[t] = [.. affected];
        }
    }

    /// <summary>The rooms whose least-cost path to t runs through u (u's subtree in t's in-tree), memoised walks.</summary>
    private void CollectThroughU(int t, int u, byte[] status, List<int> stack, List<int> affected)
    {
        const byte Unknown = 0, Through = 1, Clear = 2;
        Array.Clear(status);
        affected.Clear();
        status[u] = Through;
        status[t] = Clear;
        affected.Add(u);
        var row = t * Stride;
        for (var x = 0; x < Count; x++)
        {
            stack.Clear();
            var at = x;
            while (status[at] == Unknown)
            {
                stack.Add(at);
                var next = NextHop[row + at];
                if (next < 0)
                {
                    status[at] = Clear; // unreachable: nothing to repair
                    stack.RemoveAt(stack.Count - 1);
                    break;
                }

                at = next;
            }

            var verdict = status[at];
            foreach (var room in stack)
            {
                status[room] = verdict;
                if (verdict == Through)
                {
                    affected.Add(room);
                }
            }
        }
    }

    /// <summary>Recomputes d(x, t) for the affected rooms: a Dijkstra seeded from the rooms whose distance still holds.</summary>
    private void Repair(DenseGraph graph, int t, List<int> affected, float[] estimate)
    {
        int stride = Stride, width = Vector<float>.Count;
        var row = t * stride;
        foreach (var x in affected)
        {
            Distance[row + x] = float.PositiveInfinity;
        }

        // Best exit from the affected set: min over y of w(x, y) + d(y, t), where affected y are +infinity now.
        ref var w0 = ref MemoryMarshal.GetArrayDataReference(graph.Weights);
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(Distance);
        foreach (var x in affected)
        {
            var least = new Vector<float>(float.PositiveInfinity);
            var rowX = (nuint)(x * stride);
            for (nuint y = 0; y < (nuint)stride; y += (nuint)width)
            {
                least = Vector.MinNative(least, Vector.LoadUnsafe(ref w0, rowX + y) + Vector.LoadUnsafe(ref d0, (nuint)row + y));
            }

            var best = float.PositiveInfinity;
            for (var lane = 0; lane < width; lane++)
            {
                best = Math.Min(best, least[lane]);
            }

            estimate[x] = best;
        }

        var open = new List<int>(affected);
        while (open.Count > 0)
        {
            var at = 0;
            for (var i = 1; i < open.Count; i++)
            {
                if (estimate[open[i]] < estimate[open[at]])
                {
                    at = i;
                }
            }

            var x = open[at];
            open[at] = open[^1];
            open.RemoveAt(open.Count - 1);
            if (float.IsPositiveInfinity(estimate[x]))
            {
                break; // the rest cannot reach t any more
            }

            Distance[row + x] = estimate[x];
            foreach (var z in open)
            {
                estimate[z] = Math.Min(estimate[z], graph[z, x] + estimate[x]);
            }
        }
    }
}
