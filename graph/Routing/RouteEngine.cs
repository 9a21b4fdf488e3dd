using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// Keeps a route table current as link estimates arrive. A full computation builds the state once; each
/// single-link change then updates the distances incrementally and re-decides only the pairs it can
/// affect: every pair toward a target whose distances or next hops moved, every pair from the link's
/// source, and every pair whose primary or backup runs over the link (or, when the link got cheaper,
/// whose backup could now run over it). Each update publishes a new table version, copying only the
/// rows it touches. Not thread-safe: one writer (the route computer grain) owns it.
/// </summary>
public sealed class RouteEngine
{
    private readonly RouteComputer _computer;
    private readonly Dictionary<(int, int), Link> _links = [];
    private readonly HashSet<int> _changedTargets = [];
    private readonly RouteRowBuilder _builder = new();
    private TopologySnapshot? _topology;
    private DenseGraph _graph;
    private ShortestPaths _paths;
    private PairRouter _router;
    private bool[] _dirty = [];

    public RouteEngine(RouteComputer computer, TopologySnapshot topology, RouteTable? previous = null)
    {
        ArgumentNullException.ThrowIfNull(computer);
        _computer = computer;
        _topology = topology;
        (_graph, _paths, _router) = Build(topology, previous);
    }

    public RouteTable Table { get; private set; } = RouteTable.Empty;

    /// <summary>Pairs re-decided by the last update (diagnostics and benchmarks).</summary>
    public int LastPairsRerouted { get; private set; }

    /// <summary>The current topology, with every update applied (built on demand).</summary>
    public TopologySnapshot Topology => _topology ??= TopologySnapshot.Create(Table.Rooms, _links.Values);

    /// <summary>Recomputes everything from a new snapshot (rooms added or removed), with hysteresis against the current table.</summary>
    public RouteTable Reset(TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        _topology = topology;
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
        _changedTargets.Clear();
        _paths.UpdateLink(_graph, u, v, oldCost, _changedTargets);
        var dirtyRows = MarkDirtyPairs(u, v, newCost < oldCost);
        Reroute(dirtyRows);
        return Table;
    }

    private (DenseGraph, ShortestPaths, PairRouter) Build(TopologySnapshot topology, RouteTable? previous)
    {
        var graph = DenseGraph.From(topology, _computer.Costs);
        var paths = ShortestPaths.Compute(graph);
        Table = _computer.Compute(topology, graph, paths, previous);
        _links.Clear();
        for (var i = 0; i < topology.Links.Length; i++)
        {
            _links[topology.LinkIndices[i]] = topology.Links[i];
        }

        _dirty = new bool[graph.Count * graph.Count];
        return (graph, paths, new PairRouter(graph, paths, _computer.Hysteresis));
    }

    private List<int> MarkDirtyPairs(int u, int v, bool cheaper)
    {
        var n = _graph.Count;
        Array.Clear(_dirty);
        var rows = new bool[n];
        void Mark(int s, int t)
        {
            _dirty[(s * n) + t] = true;
            rows[s] = true;
        }

        foreach (var t in _changedTargets)
        {
            for (var s = 0; s < n; s++)
            {
                Mark(s, t);
            }
        }

        for (var t = 0; t < n; t++)
        {
            Mark(u, t);
        }

        // A cheaper link can improve a backup that does not use it yet: d(s,u) + w(u,v) + d(v,t) bounds
        // any path over it from below, so only pairs where that bound beats their backup are re-decided,
        // and pairs whose backup only avoids the primary's links (a room-disjoint one, dearer or not, wins).
        var fromV = new float[n];
        for (var t = 0; t < n; t++)
        {
            fromV[t] = _graph[u, v] + _paths.DistanceAt(v, t);
        }

        for (var s = 0; s < n; s++)
        {
            var row = Table.Rows[s];
            var toU = _paths.DistanceAt(s, u);
            for (var t = 0; t < n; t++)
            {
                var slot = row.Slots[t];
                if (!slot.HasRoute)
                {
                    continue;
                }

                if (Uses(s, row.PrimaryIntermediates(t), t, u, v)
                    || (slot.HasBackup && Uses(s, row.BackupIntermediates(t), t, u, v))
                    || (cheaper && (toU + fromV[t] < slot.BackupCost || SharesARoom(row.PrimaryIntermediates(t), row.BackupIntermediates(t)))))
                {
                    Mark(s, t);
                }
            }
        }

        return Enumerable.Range(0, n).Where(s => rows[s]).ToList();
    }

    private void Reroute(List<int> dirtyRows)
    {
        var n = _graph.Count;
        var rows = (RouteRow[])Table.Rows.Clone();
        var rerouted = 0;
        foreach (var s in dirtyRows)
        {
            var current = Table.Rows[s];
            _builder.StartFrom(current);
            for (var t = 0; t < n; t++)
            {
                if (t != s && _dirty[(s * n) + t])
                {
                    var candidate = _paths.AlternateHopAt(s, t);
                    _router.Route(s, t, current, candidate < 0 ? BackupFinder.NoFirstHop : candidate, _builder);
                    rerouted++;
                }
            }

            rows[s] = _builder.Build();
        }

        LastPairsRerouted = rerouted;
        Table = new RouteTable(Table.Version + 1, Table.Rooms, rows);
    }

    private static bool SharesARoom(ReadOnlySpan<int> primary, ReadOnlySpan<int> backup)
    {
        foreach (var room in backup)
        {
            if (primary.Contains(room))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the path s → intermediates → t crosses the link u→v.</summary>
    private static bool Uses(int s, ReadOnlySpan<int> intermediates, int t, int u, int v)
    {
        var previous = s;
        foreach (var hop in intermediates)
        {
            if (previous == u && hop == v)
            {
                return true;
            }

            previous = hop;
        }

        return previous == u && t == v;
    }
}
