using System.Collections.Immutable;
using Msdn.Graph.Topology;

namespace Msdn.Router.Api;

/// <summary>Answers a path lookup from one silo's cached snapshot; null when either room is unknown.</summary>
public static class PathLookup
{
    /// <param name="draw">Random bits that pick the ingress room's relay (<see cref="EntryNode"/>) when it runs several.</param>
    public static PathAnswer? Find(RouteTableCache.Snapshot snapshot, RoomId from, RoomId to, ulong draw)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var table = snapshot.Table;
        if (!table.Contains(from) || !table.Contains(to) || from == to || table.Find(from, to) is not { } route)
        {
            return null;
        }

        var entry = Entry(snapshot, from, draw); // the same relay for both paths: the engine connects once
        return new PathAnswer(
            from.Value,
            to.Value,
            table.Version,
            Option(snapshot, route.Primary, route.Cost, entry),
            route.Backup is { } backup ? Option(snapshot, backup, route.BackupCost!.Value, entry) : null);
    }

    /// <summary>The ingress room's first hop: the relay a media engine connects to and, in a room of several, the others to fall back on.</summary>
    private static PathHop? Entry(RouteTableCache.Snapshot snapshot, RoomId from, ulong draw)
    {
        if (!snapshot.Rooms.TryGetValue(from.Value, out var room) || room.Nodes.Count <= 1)
        {
            return null;
        }

        var (chosen, serving) = EntryNode.Choose(room.Nodes, draw);
        return chosen is null ? null : new PathHop(from.Value, chosen.RelayEndpoint, chosen.ClientEndpoint, [.. serving.Select(n => n.ClientEndpoint).OfType<string>()]);
    }

    private static PathOption Option(RouteTableCache.Snapshot snapshot, ImmutableArray<RoomId> path, double cost, PathHop? entry)
    {
        var hops = new PathHop[path.Length];
        for (var i = 0; i < path.Length; i++)
        {
            snapshot.Rooms.TryGetValue(path[i].Value, out var room);
            hops[i] = i == 0 && entry is not null ? entry : new PathHop(path[i].Value, room?.RelayEndpoint, room?.ClientEndpoint);
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
