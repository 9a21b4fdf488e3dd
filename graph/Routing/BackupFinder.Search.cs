using System.Numerics;
using System.Runtime.InteropServices;

namespace Msdn.Graph.Routing;

/// <summary>The exact fallback: A* over the dense matrix without the primary's rooms (or links).</summary>
internal sealed partial class BackupFinder
{
    /// <summary>
    /// A* over the dense matrix without a heap: the open set lives in <see cref="_f"/> (+infinity when not
    /// open) and the next room is a vectorised argmin. With the bound, a search expands a handful of rooms,
    /// and each expansion is three vector passes over one row instead of a thousand heap operations.
    /// </summary>
    private bool Search(int s, int t, bool roomDisjoint, bool direct, List<int> backup, out float cost)
    {
        backup.Clear();

        // For a multi-hop primary the direct link, when usable, is itself a room-disjoint backup: nothing
        // dearer than it needs to be opened. float.MaxValue (not infinity) keeps blocked lanes out.
        var limit = roomDisjoint && !direct ? Math.Min(_graph[s, t], float.MaxValue) : float.MaxValue;
        var bound = new Vector<float>(limit);
        int stride = _graph.Stride, width = Vector<float>.Count;
        ref var w0 = ref MemoryMarshal.GetArrayDataReference(_graph.Weights);
        ref var h0 = ref MemoryMarshal.GetArrayDataReference(_paths.Distance);
        ref var g0 = ref MemoryMarshal.GetArrayDataReference(_g);
        ref var f0 = ref MemoryMarshal.GetArrayDataReference(_f);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(_parent);
        ref var blocked0 = ref MemoryMarshal.GetArrayDataReference(_blocked);
        var toTargetRow = (nuint)(t * stride);
        Array.Fill(_g, float.PositiveInfinity);
        Array.Fill(_f, float.PositiveInfinity);
        if (roomDisjoint)
        {
            BlockPrimaryRooms(float.PositiveInfinity);
        }

        _g[s] = 0;
        try
        {
            var v = s;
            while (true)
            {
                // Close v: out of the open set, and a g of -infinity so no later relaxation reopens it.
                var gv = _g[v];
                _f[v] = float.PositiveInfinity;
                _g[v] = float.NegativeInfinity;
                if (v == t)
                {
                    cost = gv;
                    for (var at = t; at != s; at = _parent[at])
                    {
                        backup.Add(at);
                    }

                    backup.Add(s);
                    backup.Reverse();
                    return true;
                }

                // The links the vector mask does not already exclude: the direct link of a direct
                // primary, and (link-disjoint) the primary's own link out of v.
                var excluded = roomDisjoint ? (direct && v == s ? t : -1) : (IsOnPrimary(v) ? _nextOnPrimary[v] : -1);
                var saved = excluded >= 0 ? _blocked[excluded] : 0;
                if (excluded >= 0)
                {
                    _blocked[excluded] = float.PositiveInfinity;
                }

                // Relax v's whole row and, in the same pass, find the least f left open.
                var gvs = new Vector<float>(gv);
                var vs = new Vector<int>(v);
                var row = (nuint)(v * stride);
                var least = new Vector<float>(float.PositiveInfinity);
                var leastAt = new Vector<int>(-1);
                var lanes = _laneIndices;
                for (nuint y = 0; y < (nuint)stride; y += (nuint)width)
                {
                    var g = gvs + Vector.LoadUnsafe(ref w0, row + y);
                    var f = g + Vector.LoadUnsafe(ref h0, toTargetRow + y) + Vector.LoadUnsafe(ref blocked0, y);
                    var current = Vector.LoadUnsafe(ref g0, y);
                    var open = Vector.LoadUnsafe(ref f0, y);
                    var improves = Vector.BitwiseAnd(Vector.LessThanOrEqual(f, bound), Vector.LessThan(g, current));
                    if (improves != Vector<int>.Zero)
                    {
                        open = Vector.ConditionalSelect(improves, f, open);
                        open.StoreUnsafe(ref f0, y);
                        Vector.ConditionalSelect(improves, g, current).StoreUnsafe(ref g0, y);
                        Vector.ConditionalSelect(improves, vs, Vector.LoadUnsafe(ref p0, y)).StoreUnsafe(ref p0, y);
                    }

                    var lower = Vector.LessThan(open, least);
                    least = Vector.ConditionalSelect(lower, open, least);
                    leastAt = Vector.ConditionalSelect(lower, lanes, leastAt);
                    lanes += new Vector<int>(width);
                }

                if (excluded >= 0)
                {
                    _blocked[excluded] = saved;
                }

                v = LeastLane(least, leastAt);
                if (v < 0)
                {
                    cost = float.PositiveInfinity;
                    return false;
                }
            }
        }
        finally
        {
            if (roomDisjoint)
            {
                BlockPrimaryRooms(0);
            }
        }
    }
}
