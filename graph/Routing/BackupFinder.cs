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
internal sealed class BackupFinder
{
    private readonly DenseGraph _graph;
    private readonly ShortestPaths _paths;
    private readonly int[] _onPrimaryStamp;
    private readonly int[] _nextOnPrimary;
    private readonly int[] _searchStamp;
    private readonly float[] _g;
    private readonly int[] _parent;
    private readonly bool[] _closed;
    private readonly PriorityQueue<int, float> _open = new();
    private int _pairStamp;
    private int _searchGeneration;

    public BackupFinder(DenseGraph graph, ShortestPaths paths)
    {
        _graph = graph;
        _paths = paths;
        var n = graph.Count;
        _onPrimaryStamp = new int[n];
        _nextOnPrimary = new int[n];
        _searchStamp = new int[n];
        _g = new float[n];
        _parent = new int[n];
        _closed = new bool[n];
    }

    /// <summary>How many pairs needed a search because the bound was not met (a measure of the fast path's hit rate).</summary>
    public long Searches { get; private set; }

    /// <summary>
    /// Finds the backup for <paramref name="primary"/> (whole path, source to target).
    /// <paramref name="candidate"/> is the best first hop already known to avoid the primary's first hop
    /// (from the vectorised row pass), or -1 to scan for it here.
    /// </summary>
    public bool TryFind(ReadOnlySpan<int> primary, int candidate, List<int> backup, out float cost)
    {
        backup.Clear();
        int s = primary[0], t = primary[^1];
        var direct = primary.Length == 2;
        MarkPrimary(primary);

        if (candidate < 0)
        {
            candidate = BestFirstHop(s, t, direct);
        }

        if (candidate < 0)
        {
            // No neighbour off the primary reaches t at all: no backup of either kind exists.
            cost = float.PositiveInfinity;
            return false;
        }

        if (TryContinuation(s, t, candidate, backup, out cost))
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
        for (var i = 0; i < primary.Length - 1; i++)
        {
            _onPrimaryStamp[primary[i]] = _pairStamp;
            _nextOnPrimary[primary[i]] = primary[i + 1];
        }
    }

    private bool IsOnPrimary(int room) => _onPrimaryStamp[room] == _pairStamp;

    private int BestFirstHop(int s, int t, bool direct)
    {
        var best = float.PositiveInfinity;
        var bestHop = -1;
        var row = s * _graph.Stride;
        for (var x = 0; x < _graph.Count; x++)
        {
            if (IsOnPrimary(x) || (direct && x == t))
            {
                continue;
            }

            var c = _graph.Weights[row + x] + _paths.DistanceAt(x, t);
            if (c < best)
            {
                best = c;
                bestHop = x;
            }
        }

        return bestHop;
    }

    private bool TryContinuation(int s, int t, int first, List<int> backup, out float cost)
    {
        cost = _graph[s, first];
        if (IsOnPrimary(first))
        {
            return false;
        }

        backup.Add(s);
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

            cost += _graph[at, next];
            backup.Add(next);
            at = next;
        }

        return true;
    }

    private bool Search(int s, int t, bool roomDisjoint, bool direct, List<int> backup, out float cost)
    {
        backup.Clear();
        _searchGeneration++;
        _open.Clear();
        Touch(s);
        _g[s] = 0;
        _open.Enqueue(s, _paths.DistanceAt(s, t));
        int n = _graph.Count, stride = _graph.Stride;
        var weights = _graph.Weights;
        while (_open.TryDequeue(out var v, out _))
        {
            if (_closed[v])
            {
                continue;
            }

            _closed[v] = true;
            if (v == t)
            {
                cost = _g[t];
                for (var at = t; at != s; at = _parent[at])
                {
                    backup.Add(at);
                }

                backup.Add(s);
                backup.Reverse();
                return true;
            }

            var row = v * stride;
            var gv = _g[v];
            for (var y = 0; y < n; y++)
            {
                var w = weights[row + y];
                if (float.IsPositiveInfinity(w) || Excluded(s, t, v, y, roomDisjoint, direct))
                {
                    continue;
                }

                var h = _paths.DistanceAt(y, t);
                if (float.IsPositiveInfinity(h))
                {
                    continue;
                }

                Touch(y);
                if (_closed[y])
                {
                    continue;
                }

                var g = gv + w;
                if (g < _g[y])
                {
                    _g[y] = g;
                    _parent[y] = v;
                    _open.Enqueue(y, g + h);
                }
            }
        }

        cost = float.PositiveInfinity;
        return false;
    }

    private bool Excluded(int s, int t, int v, int y, bool roomDisjoint, bool direct)
    {
        if (roomDisjoint)
        {
            return IsOnPrimary(y) || (direct && v == s && y == t);
        }

        return IsOnPrimary(v) && _nextOnPrimary[v] == y;
    }

    private void Touch(int room)
    {
        if (_searchStamp[room] != _searchGeneration)
        {
            _searchStamp[room] = _searchGeneration;
            _g[room] = float.PositiveInfinity;
            _closed[room] = false;
        }
    }
}
