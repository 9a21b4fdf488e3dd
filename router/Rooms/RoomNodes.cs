using Msdn.Router.Routing;

namespace Msdn.Router.Rooms;

/// <summary>
/// A room of several relays (nodes), each known by the endpoint its peers reach it at: which node a report
/// comes from, whether it may take its place, and the room as routes see it (<see cref="Merge"/>). Routes stay
/// room-level; the directory lists every node, and each hop picks one.
/// </summary>
public static class RoomNodes
{
    /// <summary>The room's relays; a record kept by a controller of one relay per room holds its one relay in <see cref="RoomRecord.Latest"/>.</summary>
    public static IReadOnlyList<NodeRecord> Of(RoomRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Nodes.Count > 0 ? record.Nodes
            : record.Latest is { } latest ? [new NodeRecord { Latest = latest, LastReportAt = record.LastReportAt, IssuedFingerprint = record.IssuedFingerprint }]
            : [];
    }

    /// <summary>The node a report comes from: the one at its endpoint, else the one presenting its certificate (the same relay, moved to another port or host).</summary>
    public static NodeRecord? Find(IReadOnlyList<NodeRecord> nodes, RoomReport report)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(report);
        return nodes.FirstOrDefault(n => n.Endpoint == report.RelayEndpoint)
            ?? (report.CertificateFingerprint is { } presented ? nodes.FirstOrDefault(n => SameCertificate(n.Latest.CertificateFingerprint, presented)) : null);
    }

    /// <summary>
    /// Why <paramref name="report"/> may not register, or null when it may: another live relay holds its endpoint
    /// with another certificate (<see cref="RoomClaim"/>), or it would be a relay more than the room may have.
    /// </summary>
    public static string? Conflict(string room, IReadOnlyList<NodeRecord> nodes, NodeRecord? node, RoomReport report, DateTimeOffset now, RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(options);
        if (node is not null)
        {
            return RoomClaim.Conflict(room, node, report.CertificateFingerprint, now, options.StaleAfter);
        }

        var heard = nodes.Count(n => n.Liveness(now, options.StaleAfter, options.UnreachableAfter) != RoomLiveness.Unreachable);
        return heard < options.MaxRelaysPerRoom ? null
            : $"Room {room} has {heard} relays already ({string.Join(", ", nodes.Select(n => n.Endpoint))}), as many as Router:MaxRelaysPerRoom allows; a relay at {report.RelayEndpoint} joins once one of them has been silent for {options.UnreachableAfter.TotalSeconds:F0} s or is removed.";
    }

    /// <summary>
    /// The room after a report from <paramref name="node"/> (null: a relay joining): that node's report replaced,
    /// relays silent past the unreachable threshold let go, and the room as routes see it merged anew.
    /// </summary>
    public static RoomRecord Take(RoomRecord previous, NodeRecord? node, RoomReport report, DateTimeOffset now, RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(options);
        var taken = new NodeRecord { Latest = report, LastReportAt = now, IssuedFingerprint = node?.IssuedFingerprint };
        var nodes = Of(previous)
            .Where(n => !ReferenceEquals(n, node) && n.Endpoint != report.RelayEndpoint && n.Liveness(now, options.StaleAfter, options.UnreachableAfter) != RoomLiveness.Unreachable)
            .Append(taken)
            .OrderBy(n => n.Endpoint, StringComparer.Ordinal)
            .ToArray();
        return previous with
        {
            Nodes = nodes,
            Latest = Merge(nodes, now, options.UnreachableAfter),
            LastReportAt = now,
            Reports = previous.Reports + 1,
            IssuedFingerprint = previous.IssuedFingerprint,
        };
    }

    /// <summary>
    /// The room as one relay, for routes: serving while any relay serves, represented by the first serving one heard
    /// from lately (in endpoint order, so it does not change with every report); each link as the relays that measure it see it at
    /// best (up before down, then the lowest round trip: the room can carry a flow over it if one of its relays can,
    /// and a flow keeps to a relay that can); its load summed (<see cref="RoomLoad"/> for its utilization).
    /// </summary>
    public static RoomReport Merge(IReadOnlyList<NodeRecord> nodes, DateTimeOffset now, TimeSpan unreachableAfter)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 1)
        {
            return nodes[0].Latest with { Since = null, Gone = null };
        }

        var heard = nodes.Where(n => now - n.LastReportAt < unreachableAfter).ToArray();
        var among = heard.Length > 0 ? heard : [.. nodes];

        // The representative (peers probe the room at its probe port) is a serving relay that reported within a
        // report interval or two of the latest: a dead one stops representing the room at its sibling's next report.
        var latest = among.Max(n => n.LastReportAt);
        var representative = among.FirstOrDefault(n => n.Latest.RelayState == "Serving" && latest - n.LastReportAt < Recent)
            ?? among.FirstOrDefault(n => n.Latest.RelayState == "Serving")
            ?? among[0];
        var links = among
            .SelectMany(n => n.Latest.Links)
            .GroupBy(l => l.Peer, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(l => l.Up).ThenBy(l => l.RttMs).First())
            .OrderBy(l => l.Peer, StringComparer.Ordinal)
            .ToArray();
        return representative.Latest with
        {
            RelayState = among.Any(n => n.Latest.RelayState == "Serving") ? "Serving" : among.Any(n => n.Latest.RelayState == "Draining") ? "Draining" : representative.Latest.RelayState,
            Links = links,
            Since = null,
            Gone = null,
            Load = Sum(among),
        };
    }

    /// <summary>How far behind the room's latest report a relay's may be and still count as heard from now (relays report every second).</summary>
    private static readonly TimeSpan Recent = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The room's load (0 idle, 1 at capacity): what its relays carry against what its serving relays can, so
    /// a draining relay's flows count while its capacity does not (its load returns it to service when the rest
    /// could not take them). A room of one relay: that relay's utilization.
    /// </summary>
    public static double? RoomLoad(IReadOnlyList<NodeRecord> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var loads = nodes.Where(n => n.Latest.Load is not null).ToArray();
        if (loads.Length == 0)
        {
            return null;
        }

        var serving = loads.Count(n => n.Latest.RelayState == "Serving");
        return loads.Sum(n => n.Latest.Load!.Utilization) / Math.Max(1, serving);
    }

    private static RelayLoadReport? Sum(IReadOnlyList<NodeRecord> nodes)
    {
        var loads = nodes.Select(n => n.Latest.Load).OfType<RelayLoadReport>().ToArray();
        return loads.Length == 0 ? null : new RelayLoadReport
        {
            Flows = loads.Sum(l => l.Flows),
            BytesInPerSecond = loads.Sum(l => l.BytesInPerSecond),
            BytesOutPerSecond = loads.Sum(l => l.BytesOutPerSecond),
            UnitsInPerSecond = loads.Sum(l => l.UnitsInPerSecond),
            UnitsOutPerSecond = loads.Sum(l => l.UnitsOutPerSecond),
            Cpu = loads.Sum(l => l.Cpu),
            MemoryBytes = loads.Sum(l => l.MemoryBytes),
            Utilization = RoomLoad(nodes) ?? 0,
        };
    }

    private static bool SameCertificate(string? held, string presented) => string.Equals(held, presented, StringComparison.OrdinalIgnoreCase);
}
