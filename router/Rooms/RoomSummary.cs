using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>
/// A room as the API shows it: the room as routes see it (its representative relay's endpoints, serving while any
/// relay serves, its load across its relays), whether it is heard from, and each of its relays (<see cref="Nodes"/>).
/// </summary>
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

    /// <summary>The room's load: its relays' summed, <see cref="RelayLoadReport.Utilization"/> the room's (<see cref="RoomNodes.RoomLoad"/>); none from relays that do not report load.</summary>
    [Id(7)] public RelayLoadReport? Load { get; init; }

    /// <summary>Each relay of the room, in endpoint order.</summary>
    [Id(8)] public IReadOnlyList<NodeSummary> Nodes { get; init; } = [];
}

/// <summary>One relay of a room as the API shows it: where it is reached, its state, its load, whether it is heard from.</summary>
[GenerateSerializer, Immutable, Alias("msdn.NodeSummary")]
public sealed record NodeSummary
{
    [Id(0)] public string RelayEndpoint { get; init; } = string.Empty;

    [Id(1)] public string? ClientEndpoint { get; init; }

    [Id(2)] public string RelayState { get; init; } = string.Empty;

    [Id(3)] public DateTimeOffset LastReportAt { get; init; }

    [Id(4)] public RoomLiveness Liveness { get; init; }

    [Id(5)] public int Links { get; init; }

    [Id(6)] public RelayLoadReport? Load { get; init; }
}

/// <summary>The measured quality of one link: what a path's expected RTT and loss are made of.</summary>
[GenerateSerializer, Immutable, Alias("msdn.LinkMetric")]
public sealed record LinkMetric([property: Id(0)] string From, [property: Id(1)] string To, [property: Id(2)] double RttMs, [property: Id(3)] double Loss);
