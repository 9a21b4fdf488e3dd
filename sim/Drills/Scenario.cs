namespace Msdn.Sim.Drills;

/// <summary>
/// A failure drill (JSON, camelCase; see docs/drills.md): the world, the flows, the faults on a timeline and
/// the settings under test. Validated by <see cref="ScenarioLoader"/> with errors that name the field.
/// </summary>
public sealed record Scenario
{
    /// <summary>
    /// <c>loopback</c>: the real controller and relays as processes on 127.0.0.1. <c>virtual</c>: the same
    /// logic stepped in virtual time in one process (hundreds of rooms, deterministic for a seed).
    /// </summary>
    public string Engine { get; init; } = "loopback";

    public int Seed { get; init; } = 1;

    public double DurationSeconds { get; init; } = 20;

    public WorldSpec World { get; init; } = new();

    public FlowSpec Flows { get; init; } = new();

    public IReadOnlyList<FaultSpec> Faults { get; init; } = [];

    public SettingsSpec Settings { get; init; } = new();
}

/// <summary>
/// A generated world: rooms in regions on a plane, RTT from distance times a route-inflation factor, and
/// a share of pairs whose direct path is a detour (breaking the triangle inequality, as the internet does).
/// </summary>
public sealed record WorldSpec
{
    public int Rooms { get; init; } = 6;

    /// <summary>
    /// Relays per room (loopback engine): each room a cluster of this many relays, named <c>room-N/k</c>; a flow's media
    /// engine writes through the relay the path lookup names and resumes at a sibling when it dies or drains.
    /// </summary>
    public int NodesPerRoom { get; init; } = 1;

    public int Regions { get; init; } = 2;

    /// <summary>Milliseconds of RTT per unit of distance along the direct path.</summary>
    public double RouteInflation { get; init; } = 1.3;

    /// <summary>Share of room pairs whose direct path is 1.5–2.5× longer than distance says.</summary>
    public double DetourShare { get; init; } = 0.15;

    /// <summary>
    /// The directory of WonderProxy's measured all-pairs pings (e.g. <c>../shared/data/wonderproxy-2020</c>):
    /// the world is then its 246 servers (rooms, regions by continent, measured RTTs) instead of a generated one (virtual engine).
    /// </summary>
    public string? WonderProxy { get; init; }

    /// <summary>Mean random queueing delay per round trip, ms (exponential; the virtual engine).</summary>
    public double JitterMs { get; init; }

    /// <summary>Background loss on every link, both ways (Gilbert–Elliott with <see cref="LossBurst"/>; the virtual engine).</summary>
    public double Loss { get; init; }

    /// <summary>Mean length of a background loss burst, in packets.</summary>
    public double LossBurst { get; init; } = 1;

    /// <summary>Share of links whose RTT creeps up all drill long (slow degradation; the virtual engine).</summary>
    public double DegradingShare { get; init; }

    /// <summary>How fast a degrading link's RTT grows, ms per minute.</summary>
    public double DegradeMsPerMinute { get; init; }
}

/// <summary>Reliable flows: <see cref="Count"/> random pairs (from the seed), or the listed <see cref="Pairs"/>.</summary>
public sealed record FlowSpec
{
    public int Count { get; init; } = 2;

    public double RateKbps { get; init; } = 1000;

    public IReadOnlyList<FlowPair>? Pairs { get; init; }
}

public sealed record FlowPair(string From, string To);

/// <summary>
/// One fault at <see cref="At"/> seconds into the drill. Kinds: <c>kill</c> (a room's relay process),
/// <c>cut</c> (a link, both ways), <c>degrade</c> (a link's delay and loss), <c>oneWayLoss</c>,
/// <c>controllerDown</c> (relays cannot reach the controller), <c>drain</c> (a relay), <c>partition</c> (a region cut off). A room is named
/// (or, with several relays per room, one of its relays: <c>room-2/1</c>), or <see cref="TransitOf"/> picks the middle room carrying
/// flow N at that moment (the next flow's when N runs direct; with several relays per room, the one of its relays carrying most flows),
/// or <see cref="IngressOf"/> the relay flow N is written through; a link is <see cref="From"/>–<see cref="To"/>,
/// or with <see cref="TransitOf"/> the first link of that flow's path. <see cref="ForSeconds"/> lifts it again.
/// </summary>
public sealed record FaultSpec
{
    public double At { get; init; }

    /// <summary>The kind as the scenario file names it (<see cref="FaultKinds.Names"/>).</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>The kind, once <see cref="ScenarioLoader"/> has checked its name.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public FaultKind Type => FaultKinds.TryParse(Kind, out var kind) ? kind : throw new InvalidOperationException($"Unknown fault kind \"{Kind}\" (the scenario was not validated).");

    public string? Room { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public int? TransitOf { get; init; }

    /// <summary>For <c>kill</c> and <c>drain</c> with several relays per room: the relay flow N's media engine writes through at that moment.</summary>
    public int? IngressOf { get; init; }

    /// <summary>For <c>partition</c>: every link between this region's rooms and the rest is cut, both ways.</summary>
    public int? Region { get; init; }

    public double? ForSeconds { get; init; }

    public double? DelayMs { get; init; }

    public double? Loss { get; init; }

    /// <summary>With loss: the mean length of a loss burst in probes (Gilbert–Elliott); 1 = independent losses.</summary>
    public double? Burst { get; init; }

    /// <summary>For <c>load</c>: how many extra flows its room's relays carry (written through them to a subscriber in <see cref="To"/>, by default the next room).</summary>
    public int? ExtraFlows { get; init; }
}

/// <summary>The settings under test.</summary>
public sealed record SettingsSpec
{
    public int ProbeIntervalMs { get; init; } = 1000;

    public int ProbeFastIntervalMs { get; init; } = 100;

    public int DownAfterLosses { get; init; } = 4;

    public int AckTimeoutMs { get; init; } = 300;

    /// <summary>How long a draining relay lets its media engines' flows run on before they resume at a sibling (<c>Relay:DrainTimeout</c>; rooms of several relays).</summary>
    public int DrainTimeoutMs { get; init; } = 300_000;

    /// <summary>
    /// Loopback engine: the flows each relay is sized for (<c>Relay:Capacity:Flows</c>), against which it reports its load.
    /// A drill that adds load sets it small, so a handful of flows make a room busy.
    /// </summary>
    public int CapacityFlows { get; init; } = 10_000;

    public double JitterWeight { get; init; } = 2;

    public double HysteresisMarginMs { get; init; } = 5;

    /// <summary>The controller's periodic recomputation (<c>Router:RecomputeInterval</c>; a link going down recomputes at once).</summary>
    public int RecomputeIntervalMs { get; init; } = 1000;

    /// <summary>
    /// Virtual engine: how long the controller takes from starting a recomputation to publishing its table
    /// (a 500-room table takes a few hundred milliseconds of a core, longer while the silo also ingests a
    /// quarter of a million link reports a second).
    /// </summary>
    public int ControllerComputeMs { get; init; } = 500;

    /// <summary>
    /// Loopback engine: the relays' transport (<c>Relay:Transport</c>): <c>tcp</c> (the relays' default),
    /// <c>quic</c> (needs libmsquic) or <c>auto</c>. The virtual engine has no sockets.
    /// </summary>
    public string Transport { get; init; } = "tcp";

    /// <summary>
    /// Loopback engine: where the processes run. <c>loopback</c>: all on this host's 127.0.0.1. <c>netns</c>: the
    /// controller and each relay in its own network namespace with its own address on a bridge, as across hosts
    /// (needs root and iproute2).
    /// </summary>
    public string Network { get; init; } = "loopback";
}
