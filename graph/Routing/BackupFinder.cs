using System.Numerics;
using System.Runtime.InteropServices;

namespace Msdn.Graph.Routing;

/// <summary>
/// Finds, for one pair and a given primary path, the least-cost backup that shares no link with the
/// primary and, where such a path exists, no intermediate room either.
///
/// Fast path: any room-disjoint backup leaves the source through a room x off the primary, so it costs
/// at least w(s,x) + d(x,t); if the best such x's own least-cost continuation to t avoids the primary, that
/// bound is met and the path is optimal. Otherwise an A* search runs in the graph without the primary's
/// rooms (then, if that fails, without only its links), guided by the exact all-pairs distances, which
/// are admissible and consistent in any subgraph, so it is exact and usually expands a handful of rooms.
/// One instance per thread: it owns scratch buffers.
/// </summary>
internal sealed partial class BackupFinder
{
    private readonly DenseGraph _graph;
    private readonly ShortestPaths _paths;
    private readonly int[] _onPrimaryStamp;
    private readonly int[] _nextOnPrimary;
    private readonly float[] _blocked;
    /// <summary>The source and every intermediate room of the primary being backed up (the first <see cref="_primaryRoomCount"/>).</summary>
    private readonly int[] _primaryRooms;
    private int _primaryRoomCount;

    /// <summary>0, 1, …, width-1: the room index of each lane in the first vector of a row.</summary>
    private static readonly Vector<int> _laneIndices = CreateLaneIndices();
    private readonly float[] _g;
    private readonly float[] _f;
    private readonly int[] _parent;
    private int _pairStamp;

    /// <summary>Pass as the candidate to have <see cref="TryFind"/> scan for the best first hop itself.</summary>
    public const int ScanFirstHop = -1;

    /// <summary>Pass as the candidate when the row pass found no first hop other than the primary's that reaches t.</summary>
    public const int NoFirstHop = -2;

    public BackupFinder(DenseGraph graph, ShortestPaths paths)
    {
        _graph = graph;
        _paths = paths;
        var n = graph.Count;
        _onPrimaryStamp = new int[n];
        _primaryRooms = new int[n];
        _nextOnPrimary = new int[n];
        _blocked = new float[graph.Stride];
        _g = new float[graph.Stride];
        _f = new float[graph.Stride];
        _parent = new int[graph.Stride];
    }

    /// <summary>How many pairs needed a search because the bound was not met (a measure of the fast path's hit rate).</summary>
    public long Searches { get; private set; }

    /// <summary>
    /// Finds the backup for <paramref name="primary"/> (whole path, source to target).
    /// <paramref name="candidate"/> is the best first hop already known to avoid the primary's first hop
    /// (from the vectorised row pass), <see cref="NoFirstHop"/> when that pass found none, or
    /// <see cref="ScanFirstHop"/> to scan for it here (excluding every room of the primary).
    /// </summary>
    public bool TryFind(ReadOnlySpan<int> primary, int candidate, List<int> backup, out float cost)
    {
        backup.Clear();
        int s = primary[0], t = primary[^1];
        var direct = primary.Length == 2;
        MarkPrimary(primary);

        if (candidate == NoFirstHop)
        {
            // Every backup, room- or link-disjoint, leaves s by another room than the primary's first
            // hop; the row pass found none of them reaching t, so no backup exists.
            cost = float.PositiveInfinity;
            return false;
        }

        float bound;
        if (candidate == ScanFirstHop)
        {
            (candidate, bound) = BestSweptFirstHop(s, t, direct) ?? BestFirstHop(s, t, direct);
        }
        else
        {
            bound = _paths.AlternateBound[(t * _paths.Stride) + s]; // the alternate's w(s,x) + d(x,t), read in target order
        }

        if (candidate >= 0 && TryContinuation(t, candidate, bound, backup))
        {
            cost = bound;
            return true;
        }

        if (candidate >= 0 && TrySecondChance(s, t, direct, candidate, backup, out cost))
        {
            return true;
        }

        Searches++;
        return Search(s, t, roomDisjoint: true, direct, backup, out cost)
            || (!direct && Search(s, t, roomDisjoint: false, direct, backup, out cost));
    }

    private void MarkPrimary(ReadOnlySpan<int> primary)
    {
        _pairStamp++;
        if (_pairStamp == int.MaxValue)
        {
            Array.Clear(_onPrimaryStamp);
            _pairStamp = 1;
        }

        // The source and every intermediate room are off limits for a room-disjoint backup.
        _primaryRoomCount = primary.Length - 1;
        for (var i = 0; i < primary.Length - 1; i++)
        {
            _primaryRooms[i] = primary[i];
            _onPrimaryStamp[primary[i]] = _pairStamp;
            _nextOnPrimary[primary[i]] = primary[i + 1];
        }
    }

    private bool IsOnPrimary(int room) => _onPrimaryStamp[room] == _pairStamp;

    /// <summary>
    /// What <see cref="BestFirstHop"/> would find, read from the sweep's two best first hops when one of them
    /// is off the primary: they are the two least (bound, room) pairs over all first hops, and the scan takes
    /// the least among the allowed ones, so when the best is allowed it is the answer, else when the second is.
    /// A primary kept by hysteresis (a third of all pairs in a noisy mesh) then costs no scan. Null: both are
    /// on the primary (or unreachable), scan.
    /// </summary>
    private (int Hop, float Bound)? BestSweptFirstHop(int s, int t, bool direct)
    {
        var at = (t * _paths.Stride) + s;
        return Allowed(_paths.NextHop[at]) ? (_paths.NextHop[at], _paths.BestBound[at])
            : Allowed(_paths.AlternateHop[at]) ? (_paths.AlternateHop[at], _paths.AlternateBound[at])
            : null;

        bool Allowed(int hop) => hop >= 0 && !IsOnPrimary(hop) && !(direct && hop == t);
    }

    /// <summary>
    /// The first hop x off the primary (and not <paramref name="except"/>; not t itself for a direct
    /// primary) minimising w(s,x) + d(x,t), and that bound: one vector pass over s's links and t's distances.
    /// </summary>
    private (int Hop, float Bound) BestFirstHop(int s, int t, bool direct, int except = -1)
    {
        int stride = _graph.Stride, width = Vector<float>.Count;
        BlockPrimaryRooms(float.PositiveInfinity);
        if (except >= 0)
        {
            _blocked[except] = float.PositiveInfinity;
        }

        if (direct)
        {
            _blocked[t] = float.PositiveInfinity;
        }

        ref var w0 = ref MemoryMarshal.GetArrayDataReference(_graph.Weights);
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(_paths.Distance);
        ref var blocked0 = ref MemoryMarshal.GetArrayDataReference(_blocked);
        var rowS = (nuint)(s * stride);
        var rowT = (nuint)(t * stride);
        var least = new Vector<float>(float.PositiveInfinity);
        var leastAt = new Vector<int>(-1);
        var lanes = _laneIndices;
        for (nuint x = 0; x < (nuint)stride; x += (nuint)width)
        {
            var c = Vector.LoadUnsafe(ref w0, rowS + x) + Vector.LoadUnsafe(ref d0, rowT + x) + Vector.LoadUnsafe(ref blocked0, x);
            var lower = Vector.LessThan(c, least);
            least = Vector.ConditionalSelect(lower, c, least);
            leastAt = Vector.ConditionalSelect(lower, lanes, leastAt);
            lanes += new Vector<int>(width);
        }

        BlockPrimaryRooms(0);
        if (except >= 0)
        {
            _blocked[except] = 0;
        }

        if (direct)
        {
            _blocked[t] = 0;
        }

        var hop = LeastLane(least, leastAt);
        return hop < 0 ? (-1, float.PositiveInfinity) : (hop, _graph[s, hop] + _paths.DistanceAt(hop, t));
    }

    /// <summary>
    /// When the best first hop x2's continuation crosses the primary, a sharper lower bound often settles
    /// the pair without a search. Room-disjoint backups through x2: if x2's own next hop toward t is a
    /// primary room, they leave x2 by another hop and cost at least w(s,x2) + alternate(x2,t); if x2 is
    /// itself a primary room there are none. Backups through any other first hop x cost at least
    /// w(s,x) + d(x,t), whose best is x3. If the path realising the least of these bounds avoids the
    /// primary, it is optimal. Otherwise the caller searches.
    /// </summary>
    private bool TrySecondChance(int s, int t, bool direct, int x2, List<int> backup, out float cost)
    {
        cost = float.PositiveInfinity;
        var viaX2 = float.PositiveInfinity;
        var y2 = -1;
        if (!IsOnPrimary(x2))
        {
            var next = _paths.NextHopAt(x2, t);
            if (next == t || !IsOnPrimary(next))
            {
                return false; // x2's path leaves the primary later: no sharper bound through x2
            }

            y2 = _paths.AlternateHopAt(x2, t);
            viaX2 = _graph[s, x2] + _paths.AlternateBound[(t * _paths.Stride) + x2];
        }

        var (x3, viaX3) = BestFirstHop(s, t, direct, except: x2);
        var least = Math.Min(viaX2, viaX3);
        if (float.IsPositiveInfinity(least))
        {
            return false;
        }

        if (viaX3 == least && x3 >= 0 && TryContinuation(t, x3, viaX3, backup))
        {
            cost = viaX3;
            return true;
        }

        if (viaX2 == least && y2 >= 0 && y2 != t && !IsOnPrimary(y2))
        {
            // s → x2 → y2 → y2's least-cost path, which must also avoid x2.
            var saved = _onPrimaryStamp[x2];
            _onPrimaryStamp[x2] = _pairStamp;
            var found = TryContinuation(t, y2, viaX2, backup);
            _onPrimaryStamp[x2] = saved;
            if (found)
            {
                backup.Insert(1, x2);
                cost = viaX2;
                return true;
            }
        }
        else if (viaX2 == least && y2 == t)
        {
            backup.Clear();
            backup.Add(s);
            backup.Add(x2);
            backup.Add(t);
            cost = viaX2;
            return true;
        }

        backup.Clear();
        return false;
    }

    /// <summary>
    /// The backup s → first → (first's least-cost path to t), when that path avoids the primary: then it
    /// costs exactly the bound, which no room-disjoint backup can beat.
    /// </summary>
    private bool TryContinuation(int t, int first, float bound, List<int> backup)
    {
        if (IsOnPrimary(first) || float.IsPositiveInfinity(bound))
        {
            return false;
        }

        backup.Add(_primaryRooms[0]);
        backup.Add(first);
        var at = first;
        while (at != t)
        {
            var next = _paths.NextHopAt(at, t);
            if (next != t && IsOnPrimary(next))
            {
                backup.Clear();
                return false;
            }

            backup.Add(next);
            at = next;
        }

        return true;
    }

    /// <summary>The room holding the least f, from lane-wise minima and where each was seen; -1 when nothing is open.</summary>
    private static int LeastLane(Vector<float> least, Vector<int> leastAt)
    {
        var best = float.PositiveInfinity;
        var at = -1;
        for (var lane = 0; lane < Vector<float>.Count; lane++)
        {
            if (least[lane] < best || (least[lane] == best && leastAt[lane] < at))
            {
                best = least[lane];
                at = leastAt[lane];
            }
        }

        return at;
    }

    private static Vector<int> CreateLaneIndices()
    {
        Span<int> lanes = stackalloc int[Vector<int>.Count];
        for (var i = 0; i < lanes.Length; i++)
        {
            lanes[i] = i;
        }

        return new Vector<int>(lanes);
    }

    private void BlockPrimaryRooms(float value)
    {
        foreach (var room in _primaryRooms.AsSpan(0, _primaryRoomCount))
        {
            _blocked[room] = value;
        }
    }
}
