using System.Numerics;
using System.Runtime.InteropServices;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// Keeps a route table current as link estimates arrive. A full computation builds the state once; each
/// single-link change then updates the distances incrementally and re-decides only the pairs it can
/// affect (see <see cref="MarkDirtyPairs"/>), publishing a new version that shares every untouched row
/// with the previous one. Not thread-safe: one writer (the route computer grain) owns it.
/// </summary>
public sealed class RouteEngine
{
    private readonly RouteComputer _computer;
    private readonly Dictionary<(int, int), Link> _links = [];
    private readonly Dictionary<int, List<int>> _changed = [];
    private readonly RouteRowBuilder _builder = new();
    private readonly Dictionary<int, List<int>> _dirtyByRow = [];
    private TopologySnapshot? _topology;
    private DenseGraph _graph;
    private ShortestPaths _paths;
    private PairRouter _router;

    /// <summary>Pairs whose routes the next-hop tables do not imply (kept incumbents, searched backups), by the links they cross.</summary>
    private LinkUsageIndex _irregular = new(0);

    /// <summary>
    /// [t * Stride + s]: the cost a path over a newly cheaper link must beat for pair (s, t) to be
    /// re-decided: its room-disjoint backup's cost, or +infinity when it has no backup or only a
    /// link-disjoint one (any new path might then be a better backup).
    /// </summary>
    private float[] _backupThreshold = [];

    /// <summary>[t * Stride + s]: the first room after s on its backup toward t, -1 without a backup.</summary>
    private int[] _backupFirstHop = [];

    private bool[] _dirty = [];

    public RouteEngine(RouteComputer computer, TopologySnapshot topology, RouteTable? previous = null)
    {
        ArgumentNullException.ThrowIfNull(computer);
        _computer = computer;
        (_graph, _paths, _router) = Build(topology, previous);
    }

    public RouteTable Table { get; private set; } = RouteTable.Empty;

    /// <summary>Pairs re-decided by the last update (diagnostics and benchmarks).</summary>
    public int LastPairsRerouted { get; private set; }

    /// <summary>Backup searches the engine has run so far (diagnostics and benchmarks).</summary>
    public long BackupSearches => _router.BackupSearches;

    /// <summary>The current topology, with every update applied (built on demand).</summary>
    public TopologySnapshot Topology => _topology ??= TopologySnapshot.Create(Table.Rooms, _links.Values);

    /// <summary>Recomputes everything from a new snapshot (rooms added or removed), with hysteresis against the current table.</summary>
    public RouteTable Reset(TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        (_graph, _paths, _router) = Build(topology, Table);
        return Table;
    }

    /// <summary>Applies one link's new estimate (a changed, new, or down link) and returns the table, a new version when any route changed.</summary>
    public RouteTable UpdateLink(Link link)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (link.From == link.To)
        {
            throw new InvalidLinkException(link.From, link.To, "a room cannot link to itself");
        }

        int u = Table.IndexOf(link.From), v = Table.IndexOf(link.To);
        _links[(u, v)] = link;
        _topology = null;
        var oldCost = _graph[u, v];
        var newCost = _computer.Costs.Cost(link.Quality);
        if (oldCost.Equals(newCost))
        {
            LastPairsRerouted = 0;
            return Table;
        }

        _graph[u, v] = newCost;
        _paths.UpdateLink(_graph, u, v, oldCost, _changed);
        MarkDirtyPairs(u, v, cheaper: newCost < oldCost);
        Reroute();
        return Table;
    }

    private (DenseGraph, ShortestPaths, PairRouter) Build(TopologySnapshot topology, RouteTable? previous)
    {
        _topology = topology;
        var graph = DenseGraph.From(topology, _computer.Costs);
        var paths = ShortestPaths.Compute(graph, _computer.Parallelism);
        var irregular = new HashSet<int>();
        Table = _computer.Compute(topology, graph, paths, previous, irregular);
        _irregular = new LinkUsageIndex(graph.Count);
        foreach (var pair in irregular)
        {
            _irregular.Add(pair, Table.Rows[pair / graph.Count]);
        }

        _links.Clear();
        for (var i = 0; i < topology.Links.Length; i++)
        {
            _links[topology.LinkIndices[i]] = topology.Links[i];
        }

        var n = graph.Count;
        _dirty = new bool[n * n];
        _backupThreshold = new float[n * graph.Stride];
        _backupFirstHop = new int[n * graph.Stride];
        Array.Fill(_backupThreshold, float.PositiveInfinity);
        for (var s = 0; s < n; s++)
        {
            for (var t = 0; t < n; t++)
            {
                Remember(Table.Rows[s], t, graph.Stride);
            }
        }

        return (graph, paths, new PairRouter(graph, paths, _computer.Hysteresis));
    }

    /// <summary>
    /// The pairs a change of u→v can affect: (1) every pair from u (its links out changed); (2) toward each
    /// target whose column moved, every source whose least-cost path, or whose backup's continuation,
    /// runs through a room that changed; (3) every pair whose primary or backup crosses u→v; (4) when the
    /// link got cheaper, every pair where d(s,u) + w(u,v) + d(v,t) beats its backup threshold. Pairs in
    /// none of these keep their decision: their best path, alternates and the costs of their paths are
    /// exactly as before.
    /// </summary>
    private void MarkDirtyPairs(int u, int v, bool cheaper)
    {
        int n = _graph.Count, stride = _graph.Stride;
        for (var t = 0; t < n; t++)
        {
            Mark(u, t);
        }

        var touched = new byte[n];
        foreach (var (t, rooms) in _changed)
        {
            TouchedRooms(t, rooms, touched);
            // A regular pair's primary is its least-cost path and its backup the continuation from the
            // backup's first hop, so it changed exactly when either path runs through a touched room.
            var column = t * stride;
            for (var s = 0; s < n; s++)
            {
                var backupFirst = _backupFirstHop[column + s];
                if (touched[s] == 1 || (backupFirst >= 0 && touched[backupFirst] == 1))
                {
                    Mark(s, t);
                }
            }
        }

        foreach (var pair in _irregular.PairsCrossing(u, v))
        {
            Mark(pair / n, pair % n);
        }

        if (cheaper)
        {
            MarkImprovableBackups(u, v, n, stride);
        }
    }

    private void MarkImprovableBackups(int u, int v, int n, int stride)
    {
        var width = Vector<float>.Count;
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(_paths.Distance);
        ref var th0 = ref MemoryMarshal.GetArrayDataReference(_backupThreshold);
        var toU = (nuint)(u * stride);
        for (var t = 0; t < n; t++)
        {
            var fromV = _graph[u, v] + _paths.DistanceAt(v, t);
            if (float.IsPositiveInfinity(fromV))
            {
                continue;
            }

            var via = new Vector<float>(fromV);
            var row = (nuint)(t * stride);
            for (nuint s = 0; s < (nuint)stride; s += (nuint)width)
            {
                var improvable = Vector.LessThan(Vector.LoadUnsafe(ref d0, toU + s) + via, Vector.LoadUnsafe(ref th0, row + s));
                if (improvable == Vector<int>.Zero)
                {
                    continue;
                }

                for (var lane = 0; lane < width; lane++)
                {
                    var source = (int)s + lane;
                    if (improvable[lane] != 0 && source < n && source != t)
                    {
                        Mark(source, t);
                    }
                }
            }
        }
    }

    /// <summary>touched[x] = 1 when x's least-cost path to t (as now) passes a changed room (x included).</summary>
    private void TouchedRooms(int t, List<int> rooms, byte[] touched)
    {
        const byte Unknown = 0, Yes = 1, No = 2;
        Array.Clear(touched);
        foreach (var room in rooms)
        {
            touched[room] = Yes;
        }

        if (touched[t] == Unknown)
        {
            touched[t] = No;
        }

        var stack = new List<int>();
        for (var x = 0; x < touched.Length; x++)
        {
            stack.Clear();
            var at = x;
            while (touched[at] == Unknown)
            {
                stack.Add(at);
                at = _paths.NextHopAt(at, t);
                if (at < 0)
                {
                    break;
                }
            }

            var verdict = at < 0 ? No : touched[at];
            foreach (var room in stack)
            {
                touched[room] = verdict;
            }
        }
    }

    private void Mark(int s, int t)
    {
        var pair = (s * _graph.Count) + t;
        if (s == t || _dirty[pair])
        {
            return;
        }

        _dirty[pair] = true;
        if (!_dirtyByRow.TryGetValue(s, out var targets))
        {
            _dirtyByRow[s] = targets = [];
        }

        targets.Add(t);
    }

    private void Reroute()
    {
        int n = _graph.Count, stride = _graph.Stride;
        var rows = (RouteRow[])Table.Rows.Clone();
        var rerouted = 0;
        var irregular = new List<int>();
        foreach (var (s, targets) in _dirtyByRow)
        {
            var current = Table.Rows[s];
            _builder.StartFrom(current);
            foreach (var t in targets)
            {
                var candidate = _paths.AlternateHopAt(s, t);
                _router.Route(s, t, current, candidate < 0 ? BackupFinder.NoFirstHop : candidate, _builder);
                var pair = (s * n) + t;
                _dirty[pair] = false;
                _irregular.Remove(pair, current);
                if (_router.LastWasIrregular)
                {
                    irregular.Add(pair);
                }
            }

            rows[s] = _builder.Build();
            foreach (var t in targets)
            {
                Remember(rows[s], t, stride);
            }

            foreach (var pair in irregular)
            {
                _irregular.Add(pair, rows[s]);
            }

            irregular.Clear();

            rerouted += targets.Count;
        }

        _dirtyByRow.Clear();
        LastPairsRerouted = rerouted;
        Table = Table.WithRows(Table.Version + 1, rows);
    }

    private void Remember(RouteRow row, int t, int stride)
    {
        var slot = row.Slots[t];
        var at = (t * stride) + row.Source;
        _backupThreshold[at] = Threshold(row, t);
        _backupFirstHop[at] = !slot.HasRoute || !slot.HasBackup ? -1 : slot.BackupCount > 0 ? row.Hops[slot.BackupOffset] : t;
    }

    private static float Threshold(RouteRow row, int t)
    {
        var slot = row.Slots[t];
        if (!slot.HasRoute || !slot.HasBackup)
        {
            return float.PositiveInfinity;
        }

        var primary = row.PrimaryIntermediates(t);
        foreach (var room in row.BackupIntermediates(t))
        {
            if (primary.Contains(room))
            {
                return float.PositiveInfinity;
            }
        }

        return slot.BackupCost;
    }
}
