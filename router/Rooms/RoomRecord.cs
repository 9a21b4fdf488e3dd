using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>
/// A room as the controller knows it: its relays (<see cref="Nodes"/>), and the room as routes see it
/// (<see cref="Latest"/>: the links its relays measure, its state and load across them), and when it was last heard.
/// </summary>
[GenerateSerializer, Immutable, Alias("msdn.RoomRecord")]
public sealed record RoomRecord
{
    [Id(0)] public string Room { get; init; } = string.Empty;

    /// <summary>The room as one: the freshest measurement of each link among its relays, serving while any of them serves (<see cref="RoomNodes.Merge"/>).</summary>
    [Id(1)] public RoomReport? Latest { get; init; }

    [Id(2)] public DateTimeOffset LastReportAt { get; init; }

    [Id(3)] public long Reports { get; init; }

    /// <summary>Removed by the operator: its reports are refused and it is in no table or directory until admitted again.</summary>
    [Id(4)] public bool Removed { get; init; }

    /// <summary>The SHA-256 fingerprint of the certificate the cluster CA last issued for this room to a relay not registered yet.</summary>
    [Id(5)] public string? IssuedFingerprint { get; init; }

    /// <summary>The room's relays heard from within the unreachable threshold, by endpoint (a room of one relay: one).</summary>
    [Id(6)] public IReadOnlyList<NodeRecord> Nodes { get; init; } = [];

    /// <summary>
    /// Certificate fingerprints (SHA-256, hex) of relays the operator removed from the room while it kept others: their
    /// reports and certificate requests are refused until the room is admitted again (the last <see cref="MaxRemovedRelays"/>).
    /// </summary>
    [Id(7)] public IReadOnlyList<string> RemovedRelays { get; init; } = [];

    public const int MaxRemovedRelays = 64;

    /// <summary>Whether <paramref name="fingerprint"/> is a relay the operator removed from this room.</summary>
    public bool Revokes(string? fingerprint) => fingerprint is not null && RemovedRelays.Contains(fingerprint, StringComparer.OrdinalIgnoreCase);

    public RoomLiveness Liveness(DateTimeOffset now, TimeSpan staleAfter, TimeSpan unreachableAfter)
    {
        var silence = now - LastReportAt;
        return Latest is null || silence >= unreachableAfter ? RoomLiveness.Unreachable
            : silence >= staleAfter ? RoomLiveness.Stale
            : RoomLiveness.Fresh;
    }
}
