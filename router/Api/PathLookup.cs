using System.Collections.Immutable;
using Msdn.Graph.Topology;

namespace Msdn.Router.Api;

/// <summary>Answers a path lookup from one silo's cached snapshot; null when either room is unknown.</summary>
public static class PathLookup
{
    public static PathAnswer? Find(RouteTableCache.Snapshot snapshot, RoomId from, RoomId to)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var table = snapshot.Table;
        if (!table.Contains(from) || !table.Contains(to) || from == to || table.Find(from, to) is not { } route)
        {
            return null;
        }

        return new PathAnswer(
            from.Value,
            to.Value,
            table.Version,
            Option(snapshot, route.Primary, route.Cost),
            route.Backup is { } backup ? Option(snapshot, backup, route.BackupCost!.Value) : null);
    }

    private static PathOption Option(RouteTableCache.Snapshot snapshot, ImmutableArray<RoomId> path, double cost)
    {
        var hops = new PathHop[path.Length];
        for (var i = 0; i < path.Length; i++)
        {
            snapshot.Rooms.TryGetValue(path[i].Value, out var room);
            hops[i] = new PathHop(path[i].Value, room?.RelayEndpoint, room?.ClientEndpoint);
        }

        double rtt = 0, delivered = 1;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (!snapshot.Links.TryGet(path[i].Value, path[i + 1].Value, out var link))
            {
                return new PathOption(hops, cost, null, null); // a hop's measurement is not at hand
            }

            rtt += link.RttMs;
            delivered *= 1 - link.Loss;
        }

        return new PathOption(hops, cost, rtt, 1 - delivered);
    }
}
