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

    // Whole paths (source to target) in buffers of one room each: a simple path visits every room at most once.
    private readonly int[] _best;
    private readonly List<int> _backup = [];
    private int[] _incumbent;
    private int[] _incumbentBackup;

    public PairRouter(DenseGraph graph, ShortestPaths paths, HysteresisOptions hysteresis)
    {
        _graph = graph;
        _paths = paths;
        _hysteresis = hysteresis;
        _backups = new BackupFinder(graph, paths);
        _best = new int[graph.Count];
        _incumbent = new int[graph.Count];
        _incumbentBackup = new int[graph.Count];
    }

    public long BackupSearches => _backups.Searches;

    /// <summary>
    /// Writes the routes for s → t into <paramref name="builder"/>. <paramref name="previous"/> is the
    /// incumbent row in the same room indexing (or null); <paramref name="candidate"/> is the vectorised
    /// best backup first hop for the least-cost primary (or <see cref="BackupFinder.NoFirstHop"/>), or
    /// <see cref="BackupFinder.ScanFirstHop"/>. With <paramref name="keepUnchanged"/>, a pair whose paths come
    /// out as <paramref name="previous"/> has them is left alone, its old costs included (the builder started as that row).
    /// </summary>
    public void Route(int s, int t, RouteRow? previous, int candidate, RouteRowBuilder builder, bool keepUnchanged = false)
    {
        var length = _paths.GetPath(s, t, _best);
        if (length == 0)
        {
            if (!keepUnchanged || previous!.Slots[t].HasRoute)
            {
                builder.Clear(t);
            }

            return;
        }

        // The all-pairs distance is this path's cost (summed in another order, equal within float rounding).
        ReadOnlySpan<int> best = _best.AsSpan(0, length);
        var primary = best;
        var cost = _paths.DistanceAt(s, t);
        var incumbentHeld = false;
        if (previous is not null && previous.Slots[t].HasRoute)
        {
            var middle = previous.PrimaryIntermediates(t);
            incumbentHeld = Same(middle, best[1..^1]);
            if (!incumbentHeld)
            {
                var incumbent = Whole(ref _incumbent, s, middle, t);
                var incumbentCost = PathCost(incumbent);
                if (!Hysteresis.ShouldSwitch(incumbentCost, cost, _hysteresis))
                {
                    primary = incumbent;
                    cost = incumbentCost;
                    candidate = BackupFinder.ScanFirstHop;
                    incumbentHeld = true;
                }
            }
        }

        var hasBackup = _backups.TryFind(primary, candidate, _backup, out var backupCost);
        ReadOnlySpan<int> backup = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_backup);
        var backupHeld = false;
        if (hasBackup && incumbentHeld && KeepsIncumbentBackup(t, previous!, primary, backup, backupCost, out var kept, out var keptCost, out backupHeld))
        {
            backup = kept;
            backupCost = keptCost;
        }

        // Both paths as the incumbent has them (a primary held takes the incumbent's rooms, so does a backup kept or found again).
        if (keepUnchanged && incumbentHeld && (hasBackup ? backupHeld : !previous!.Slots[t].HasBackup))
        {
            return;
        }

        builder.Set(t, primary[1..^1], cost, hasBackup, hasBackup ? backup[1..^1] : default, backupCost);
    }

    /// <summary>
    /// Hysteresis for backups too: while the primary stays (<paramref name="primary"/> is the incumbent's),
    /// its incumbent backup stays unless it broke, stopped being room-disjoint, or the best backup now
    /// beats it by the margin. Without this, backups of hundreds of thousands of pairs flip on every wiggle
    /// of their costs, and every flip is a new table version for every relay.
    /// </summary>
    /// <param name="held">Whether the backup is the incumbent's after this: kept, or the best anyway.</param>
    private bool KeepsIncumbentBackup(int t, RouteRow previous, ReadOnlySpan<int> primary, ReadOnlySpan<int> best, float bestBackupCost, out ReadOnlySpan<int> kept, out float incumbentCost, out bool held)
    {
        kept = default;
        incumbentCost = float.PositiveInfinity;
        held = false;
        if (!previous.Slots[t].HasBackup)
        {
            return false;
        }

        var intermediates = previous.BackupIntermediates(t);
        if (Same(intermediates, best[1..^1]))
        {
            held = true;
            return false; // the best backup is the incumbent anyway
        }

        foreach (var room in intermediates)
        {
            if (primary.Contains(room))
            {
                return false; // not room-disjoint from the primary
            }
        }

        if (intermediates.IsEmpty && primary.Length == 2)
        {
            return false; // the direct link cannot back itself up
        }

        kept = Whole(ref _incumbentBackup, primary[0], intermediates, t);
        incumbentCost = PathCost(kept);
        held = float.IsFinite(incumbentCost) && !Hysteresis.ShouldSwitch(incumbentCost, bestBackupCost, _hysteresis);
        return held;
    }

    /// <summary>Whether two paths' rooms are the same: a loop, not the block compare, for the room or two most paths have between their ends.</summary>
    private static bool Same(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>s, then an incumbent path's intermediates, then t, in <paramref name="buffer"/> (grown if a table held a path longer than a simple one can be).</summary>
    private static ReadOnlySpan<int> Whole(ref int[] buffer, int s, ReadOnlySpan<int> intermediates, int t)
    {
        if (buffer.Length < intermediates.Length + 2)
        {
            buffer = new int[intermediates.Length + 2];
        }

        buffer[0] = s;
        intermediates.CopyTo(buffer.AsSpan(1));
        buffer[intermediates.Length + 1] = t;
        return buffer.AsSpan(0, intermediates.Length + 2);
    }

    /// <summary>The path's cost on the current graph, +infinity when any of its links is gone.</summary>
    public float PathCost(ReadOnlySpan<int> path)
    {
        var cost = 0f;
        for (var i = 0; i < path.Length - 1; i++)
        {
            cost += _graph[path[i], path[i + 1]];
        }

        return cost;
    }
}
