using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Failover;

/// <summary>
/// Which path an ingress relay sends a flow on: the primary unless it failed lately or crosses a link
/// reported down; else the backup under the same test; else a freshly computed detour
/// (<see cref="LocalDetour"/>); else whichever of primary and backup has not failed this round
/// (suspicions can be stale); else the primary, for a new round. While the table has no route at all, a live
/// direct link to the destination, if any. Pure: the relay (or the simulator)
/// supplies the table, the paths that failed and what it knows of links.
/// </summary>
internal static class PathChoice
{
    /// <exception cref="NoRouteException">The table has no route from <paramref name="self"/> to <paramref name="destination"/>.</exception>
    public static RoomId[] Choose(
        RouteTable table,
        RoomId self,
        RoomId destination,
        IReadOnlyCollection<IReadOnlyList<RoomId>> failed,
        Func<RoomId, RoomId, bool> isDown,
        Func<IEnumerable<(RoomId Peer, double CostMs)>>? liveLinks)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(failed);
        ArgumentNullException.ThrowIfNull(isDown);
        if (RouteOf(table, self, destination) is not { } route)
        {
            // The table knows no way yet (the destination was cut off when it was computed, or joined since): this
            // relay's own live link straight to it, when its probe agent has one up, carries the flow until a table does.
            RoomId[] direct = [self, destination];
            return liveLinks is not null && !isDown(self, destination) && !failed.Any(f => f.SequenceEqual(direct)) && liveLinks().Any(l => l.Peer == destination)
                ? direct
                : throw new NoRouteException(self, destination, table.Version);
        }

        RoomId[] primary = [.. route.Primary];
        RoomId[]? backup = route.Backup is { } b ? [.. b] : null;
        bool Untried(RoomId[] path) => !failed.Any(f => f.SequenceEqual(path));
        bool Usable(RoomId[] path) => Untried(path) && !CrossesDownLink(path, isDown);
        if (Usable(primary))
        {
            return primary;
        }

        if (backup is not null && Usable(backup))
        {
            return backup;
        }

        if (liveLinks is not null)
        {
            IReadOnlyList<RoomId>[] tried = backup is null ? [.. failed, primary] : [.. failed, primary, backup];
            if (LocalDetour.Find(table, self, destination, liveLinks(), isDown, tried) is { } detour)
            {
                return detour;
            }
        }

        // Nothing clean is left: a path only suspected (its peer failed a moment ago, it may be back) beats
        // one that failed this round; then a new round from the primary.
        return Untried(primary) ? primary : backup is not null && Untried(backup) ? backup : primary;
    }

    /// <summary>
    /// The table's primary when a flow established on <paramref name="current"/> should move to it: the
    /// controller changed the pair's primary (its hysteresis already asked for a real gain), and that path
    /// has not failed this round and crosses no link reported down. Null to stay.
    /// </summary>
    public static RoomId[]? BetterPrimary(RouteTable table, RoomId self, RoomId destination, IReadOnlyList<RoomId> current, IReadOnlyCollection<IReadOnlyList<RoomId>> failed, Func<RoomId, RoomId, bool> isDown)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(failed);
        ArgumentNullException.ThrowIfNull(isDown);
        if (RouteOf(table, self, destination) is not { } route)
        {
            return null;
        }

        RoomId[] primary = [.. route.Primary];
        return primary.SequenceEqual(current) || failed.Any(f => f.SequenceEqual(primary)) || CrossesDownLink(primary, isDown) ? null : primary;
    }

    /// <summary>The table's route between the rooms; null when either is unknown to it or no path joins them.</summary>
    private static Route? RouteOf(RouteTable table, RoomId self, RoomId destination) =>
        table.Contains(self) && table.Contains(destination) ? table.Find(self, destination) : null;

    /// <summary>Whether any link of <paramref name="path"/> is one a path may not cross now.</summary>
    public static bool CrossesDownLink(IReadOnlyList<RoomId> path, Func<RoomId, RoomId, bool> isDown)
    {
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (isDown(path[i], path[i + 1]))
            {
                return true;
            }
        }

        return false;
    }
}
