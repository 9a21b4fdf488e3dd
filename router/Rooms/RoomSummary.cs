using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>A room as the API shows it: its relay's endpoints and state, and whether it is heard from.</summary>
[GenerateSerializer, Immutable, Alias("msdn.RoomSummary")]
public sealed record RoomSummary
{
    [Id(0)] public string Room { get; init; } = string.Empty;

    [Id(1)] public string RelayEndpoint { get; init; } = string.Empty;

    [Id(2)] public string? ClientEndpoint { get; init; }

    [Id(3)] public string RelayState { get; init; } = string.Empty;

    [Id(4)] public DateTimeOffset LastReportAt { get; init; }

    [Id(5)] public RoomLiveness Liveness { get; init; }

    [Id(6)] public int Links { get; init; }

    /// <summary>The relay's load as it last reported it (none from relays that do not report load).</summary>
    [Id(7)] public RelayLoadReport? Load { get; init; }
}

/// <summary>The measured quality of one link: what a path's expected RTT and loss are made of.</summary>
[GenerateSerializer, Immutable, Alias("msdn.LinkMetric")]
public sealed record LinkMetric([property: Id(0)] string From, [property: Id(1)] string To, [property: Id(2)] double RttMs, [property: Id(3)] double Loss);
