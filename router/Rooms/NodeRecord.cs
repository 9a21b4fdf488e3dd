using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>One relay of a room (a node), known by the endpoint its peers reach it at: its latest report and when it came.</summary>
[GenerateSerializer, Immutable, Alias("msdn.NodeRecord")]
public sealed record NodeRecord
{
    [Id(0)] public RoomReport Latest { get; init; } = new();

    [Id(1)] public DateTimeOffset LastReportAt { get; init; }

    /// <summary>The SHA-256 fingerprint of the certificate the cluster CA last issued to this relay (its next identity while it renews).</summary>
    [Id(2)] public string? IssuedFingerprint { get; init; }

    /// <summary>Where peer relays reach it: its name among the room's relays.</summary>
    public string Endpoint => Latest.RelayEndpoint;

    public RoomLiveness Liveness(DateTimeOffset now, TimeSpan staleAfter, TimeSpan unreachableAfter)
    {
        var silence = now - LastReportAt;
        return silence >= unreachableAfter ? RoomLiveness.Unreachable
            : silence >= staleAfter ? RoomLiveness.Stale
            : RoomLiveness.Fresh;
    }
}
