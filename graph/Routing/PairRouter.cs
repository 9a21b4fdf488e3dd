using Msdn.Graph.Tables;

namespace Msdn.Graph.Routing;

/// <summary>
/// Decides one pair's published routes from the current graph: the least-cost path unless hysteresis
/// keeps the incumbent, then the backup for whichever primary won. Shared by the full computation and
/// by incremental updates so both make the same decisions. One instance per thread.
/// </summary>
internal sealed class PairRouter
{
    private readonly DenseGraph _graph;
    private readonly ShortestPaths _paths;
    private readonly HysteresisOptions _hysteresis;
    private readonly BackupFinder _backups;
    private readonly List<int> _best = [];
    private readonly List<int> _primary = [];
    private readonly List<int> _backup = [];
    private readonly List<int> _incumbentBackup = [];

    public PairRouter(DenseGraph graph, ShortestPaths paths, HysteresisOptions hysteresis)
    {
        _graph = graph;
        _paths = paths;
        _hysteresis = hysteresis;
        _backups = new BackupFinder(graph, paths);
    }

    public long BackupSearches => _backups.Searches;

    /// <summary>
    /// True when the last pair's routes are not implied by the next-hop tables: a primary kept by
    /// hysteresis, or a backup found by search. Incremental updates track such pairs explicitly.
    /// </summary>
    public bool LastWasIrregular { get; private set; }

    /// <summary>
    /// Writes the routes for s → t into <paramref name="builder"/>. <paramref name="previous"/> is the
    /// incumbent row in the same room indexing (or null); <paramref name="candidate"/> is the vectorised
    /// best backup first hop for the least-cost primary (or <see cref="BackupFinder.NoFirstHop"/>), or
    /// <see cref="BackupFinder.ScanFirstHop"/>.
    /// </summary>
    public void Route(int s, int t, RouteRow? previous, int candidate, RouteRowBuilder builder)
    {
        LastWasIrregular = false;
        if (!_paths.TryGetPath(s, t, _best))
        {
            builder.Clear(t);
            return;
        }

        // The all-pairs distance is this path's cost (summed in another order, equal within float rounding).
        var bestCost = _paths.DistanceAt(s, t);
        var primary = _best;
        var cost = bestCost;
        if (previous is not null && previous.Slots[t].HasRoute && !SameIntermediates(previous.PrimaryIntermediates(t), _best))
        {
            _primary.Clear();
            _primary.Add(s);
            _primary.AddRange(previous.PrimaryIntermediates(t));
            _primary.Add(t);
            var incumbentCost = PathCost(_primary);
            if (!Hysteresis.ShouldSwitch(incumbentCost, bestCost, _hysteresis))
            {
                primary = _primary;
                cost = incumbentCost;
                candidate = BackupFinder.ScanFirstHop;
                LastWasIrregular = true;
            }
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(primary);
        var hasBackup = _backups.TryFind(span, candidate, _backup, out var backupCost);
        LastWasIrregular |= hasBackup && !_backups.LastWasContinuation;
        var backup = _backup;
        if (hasBackup && KeepsIncumbentBackup(s, t, previous, primary, backupCost, out var keptCost))
        {
            backup = _incumbentBackup;
            backupCost = keptCost;
            LastWasIrregular = true;
        }

        var backupSpan = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(backup);
        builder.Set(t, span[1..^1], cost, hasBackup, hasBackup ? backupSpan[1..^1] : default, backupCost);
    }

    /// <summary>
    /// Hysteresis for backups too: while the primary stays, its incumbent backup stays unless it broke,
    /// stopped being room-disjoint, or the best backup now beats it by the margin. Without this, backups
    /// of hundreds of thousands of pairs flip on every wiggle of their costs, and every flip is a new
    /// table version for every relay.
    /// </summary>
    private bool KeepsIncumbentBackup(int s, int t, RouteRow? previous, List<int> primary, float bestBackupCost, out float incumbentCost)
    {
        incumbentCost = float.PositiveInfinity;
        if (previous is null || !previous.Slots[t].HasRoute || !previous.Slots[t].HasBackup || !SameIntermediates(previous.PrimaryIntermediates(t), primary))
        {
            return false;
        }

        var intermediates = previous.BackupIntermediates(t);
        if (SameIntermediates(intermediates, _backup))
        {
            return false; // the best backup is the incumbent anyway
        }

        _incumbentBackup.Clear();
        _incumbentBackup.Add(s);
        foreach (var room in intermediates)
        {
            if (primary.IndexOf(room) >= 0)
            {
                return false; // not room-disjoint from the primary
            }

            _incumbentBackup.Add(room);
        }

        _incumbentBackup.Add(t);
        if (_incumbentBackup.Count == 2 && primary.Count == 2)
        {
            return false; // the direct link cannot back itself up
        }

        incumbentCost = PathCost(_incumbentBackup);
        return float.IsFinite(incumbentCost) && !Hysteresis.ShouldSwitch(incumbentCost, bestBackupCost, _hysteresis);
    }

    /// <summary>The path's cost on the current graph, +infinity when any of its links is gone.</summary>
    public float PathCost(List<int> path)
    {
        var cost = 0f;
        for (var i = 0; i < path.Count - 1; i++)
        {
            cost += _graph[path[i], path[i + 1]];
        }

        return cost;
    }

    private static bool SameIntermediates(ReadOnlySpan<int> intermediates, List<int> path)
    {
        if (intermediates.Length != path.Count - 2)
        {
            return false;
        }

        for (var i = 0; i < intermediates.Length; i++)
        {
            if (intermediates[i] != path[i + 1])
            {
                return false;
            }
        }

        return true;
    }
}
