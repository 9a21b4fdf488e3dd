using MessagePack;
using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>
/// What a room's relay sends every report interval (<c>POST /v1/rooms/{room}/reports</c>): its own
/// status and its probe agent's estimate of every link it measures. JSON (camelCase) or, cheaper to read
/// at hundreds of reports a second, MessagePack (<c>application/x-msgpack</c>, fields by key).
/// </summary>
[GenerateSerializer, Immutable, Alias("msdn.RoomReport"), MessagePackObject]
public sealed record RoomReport
{
    /// <summary>Where peer relays reach this room's relay (host:port).</summary>
    [Id(0), Key(0)] public string RelayEndpoint { get; init; } = string.Empty;

    /// <summary>Serving, Draining or Drained.</summary>
    [Id(1), Key(1)] public string RelayState { get; init; } = "Serving";

    [Id(2), Key(2)] public IReadOnlyList<LinkEstimate> Links { get; init; } = [];

    /// <summary>Where the room's media engines reach its relay, when it has a client port.</summary>
    [Id(3), Key(3)] public string? ClientEndpoint { get; init; }

    /// <summary>The SHA-256 fingerprint (hex) of the certificate the relay presents to its peers, for the directory.</summary>
    [Id(4), Key(4)] public string? CertificateFingerprint { get; init; }

    /// <summary>Where the relay's probe agent answers (UDP host:port), for the directory; absent: the relay's port + 1.</summary>
    [Id(5), Key(5)] public string? ProbeEndpoint { get; init; }

    /// <summary>The relay's number for this report; a later report may amend it (<see cref="Since"/>).</summary>
    [Id(6), Key(6)] public long Sequence { get; init; }

    /// <summary>
    /// Absent: <see cref="Links"/> are all the relay measures. Present: only the news since the report of this
    /// sequence number, which the controller must hold (else it answers 412 and the relay sends everything):
    /// the links listed replace the held ones, <see cref="Gone"/> leave, every other link holds.
    /// </summary>
    [Id(7), Key(7)] public long? Since { get; init; }

    /// <summary>Peers an amending report no longer measures.</summary>
    [Id(8), Key(8)] public IReadOnlyList<string>? Gone { get; init; }

    /// <summary>The relay's load over its last report interval (absent from older relays).</summary>
    [Id(9), Key(9)] public RelayLoadReport? Load { get; init; }
}

/// <summary>One directed link from the reporting room to <see cref="Peer"/>.</summary>
[GenerateSerializer, Immutable, Alias("msdn.LinkEstimate"), MessagePackObject]
public sealed record LinkEstimate
{
    [Id(0), Key(0)] public string Peer { get; init; } = string.Empty;

    [Id(1), Key(1)] public double RttMs { get; init; }

    [Id(2), Key(2)] public double JitterMs { get; init; }

    [Id(3), Key(3)] public double Loss { get; init; }

    [Id(4), Key(4)] public bool Up { get; init; } = true;

    /// <summary>
    /// The share of the reporter's probes that did not reach <see cref="Peer"/>: loss in this link's own
    /// direction (absent from older relays, and until two replies span some requests).
    /// </summary>
    [Id(5), Key(5)] public double? ForwardLoss { get; init; }

    /// <summary>
    /// The loss this directed link is priced by: its own direction's where measured, else the round trip's. A
    /// one-way ("gray") loss then moves only the flows that cross the lossy direction.
    /// </summary>
    [IgnoreMember] public double DirectedLoss => Directed(Loss, ForwardLoss);

    /// <summary>The rule of <see cref="DirectedLoss"/>, for those that hold the two losses apart from a report (the virtual engine).</summary>
    public static double Directed(double loss, double? forwardLoss) => forwardLoss ?? loss;
}
