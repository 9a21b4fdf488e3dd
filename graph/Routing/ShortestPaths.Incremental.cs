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
    /// is what it cost before) to <see cref="Distance"/>, then refreshes next hops and alternates. Adds to
    /// <paramref name="changedTargets"/> every target whose column of distances or hops may have changed;
    /// the pairs (u, t) for other targets have their first hops refreshed too.
    /// </summary>
    public void UpdateLink(DenseGraph graph, int u, int v, float oldCost, ISet<int> changedTargets)
    {
        var newCost = graph[u, v];
        if (newCost < oldCost)
        {
            Shorten(u, v, newCost, changedTargets);
        }
        else if (newCost > oldCost)
        {
            Lengthen(graph, u, v, changedTargets);
        }

        foreach (var t in changedTargets)
        {
            ComputeFirstHops(graph, t);
        }

        for (var t = 0; t < Count; t++)
        {
            if (t != u && !changedTargets.Contains(t))
            {
                ComputeFirstHopsForPair(graph, u, t);
            }
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
        AlternateHop[rowT + s] = h2;
        AlternateBound[rowT + s] = b2;
    }

    private void Shorten(int u, int v, float cost, ISet<int> changedTargets)
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
            var changed = false;
            for (nuint s = 0; s < (nuint)stride; s += (nuint)width)
            {
                var candidate = Vector.LoadUnsafe(ref d0, toU + s) + via;
                var current = Vector.LoadUnsafe(ref d0, toT + s);
                if (Vector.LessThanAny(candidate, current))
                {
                    Vector.Min(candidate, current).StoreUnsafe(ref d0, toT + s);
                    changed = true;
                }
            }

            if (changed)
            {
                changedTargets.Add(t);
            }
        }
    }

    private void Lengthen(DenseGraph graph, int u, int v, ISet<int> changedTargets)
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
            changedTargets.Add(t);
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
                least = Vector.Min(least, Vector.LoadUnsafe(ref w0, rowX + y) + Vector.LoadUnsafe(ref d0, (nuint)row + y));
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
