using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Failover;

/// <summary>
/// A freshly computed path for when a route's primary and backup have both failed, before the
/// controller's next table: the first hop over one of this relay's own links that its probe agent sees
/// up now (at its measured cost), then the table's primary or backup from that neighbour on. The
/// cheapest such path that repeats no room, crosses no link reported down and is not one of the
/// paths that just failed. Pure: the relay supplies what it knows.
/// </summary>
internal static class LocalDetour
{
    public static RoomId[]? Find(
        RouteTable table,
        RoomId self,
        RoomId destination,
        IEnumerable<(RoomId Peer, double CostMs)> liveLinks,
        Func<RoomId, RoomId, bool> isDown,
        IReadOnlyCollection<IReadOnlyList<RoomId>> exclude)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(liveLinks);
        ArgumentNullException.ThrowIfNull(isDown);
        ArgumentNullException.ThrowIfNull(exclude);
        RoomId[]? best = null;
        var bestCost = double.PositiveInfinity;
        void Consider(RoomId[] path, double cost)
        {
            if (cost < bestCost && IsUsable(path, isDown) && !exclude.Any(e => e.SequenceEqual(path)))
            {
                best = path;
                bestCost = cost;
            }
        }

        foreach (var (peer, firstHop) in liveLinks)
        {
            if (peer == self || isDown(self, peer))
            {
                continue;
            }

            if (peer == destination)
            {
                Consider([self, destination], firstHop);
                continue;
            }

            if (!table.Contains(peer) || !table.Contains(destination) || table.Find(peer, destination) is not { } onward)
            {
                continue;
            }

            Consider([self, .. onward.Primary], firstHop + onward.Cost);
            if (onward.Backup is { } backup)
            {
                Consider([self, .. backup], firstHop + onward.BackupCost!.Value);
            }
        }

        return best;
    }

    private static bool IsUsable(RoomId[] path, Func<RoomId, RoomId, bool> isDown)
    {
        if (path.Distinct().Count() != path.Length)
        {
            return false; // a loop back through a room already on the path
        }

        for (var i = 0; i < path.Length - 1; i++)
        {
            if (isDown(path[i], path[i + 1]))
            {
                return false;
            }
        }

        return true;
    }
}
