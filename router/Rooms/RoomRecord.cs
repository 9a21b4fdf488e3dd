using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>A room as the controller knows it: its relay, its latest links, when it last reported.</summary>
[GenerateSerializer, Immutable, Alias("msdn.RoomRecord")]
public sealed record RoomRecord
{
    [Id(0)] public string Room { get; init; } = string.Empty;

    [Id(1)] public RoomReport? Latest { get; init; }

    [Id(2)] public DateTimeOffset LastReportAt { get; init; }

    [Id(3)] public long Reports { get; init; }

    /// <summary>Removed by the operator: its reports are refused and it is in no table or directory until admitted again.</summary>
    [Id(4)] public bool Removed { get; init; }

    /// <summary>The SHA-256 fingerprint of the certificate the cluster CA last issued to this room's relay (its next identity while it renews).</summary>
    [Id(5)] public string? IssuedFingerprint { get; init; }

    public RoomLiveness Liveness(DateTimeOffset now, TimeSpan staleAfter, TimeSpan unreachableAfter)
    {
        var silence = now - LastReportAt;
        return Latest is null || silence >= unreachableAfter ? RoomLiveness.Unreachable
            : silence >= staleAfter ? RoomLiveness.Stale
            : RoomLiveness.Fresh;
    }
}
