namespace Msdn.Sim.Drills;

/// <summary>What a drill measured, before it is summarised: the flows, the faults as applied, the route facts.</summary>
public sealed record DrillResults(
    Scenario Scenario,
    GeneratedWorld World,
    IReadOnlyList<DrillFlow> Flows,
    IReadOnlyList<AppliedFault> Faults,
    long StartTicks,
    double WallSeconds,
    IReadOnlyList<FlowRoute> Routes,
    long RouteChanges,
    long ControlBytes,
    long FinalTableVersion = 0)
{
    /// <summary>The virtual engine's stretch over every pair of the final table (else the flows' routes give it).</summary>
    public IReadOnlyList<double>? PairStretches { get; init; }

    /// <summary>Route invariant violations found after each published table (virtual engine).</summary>
    public IReadOnlyList<string>? InvariantViolations { get; init; }

    public long? Recomputations { get; init; }

    public long? ProbesSent { get; init; }

    /// <summary>The relays' transport as they reported it (loopback engine).</summary>
    public string? Transport { get; init; }

    /// <summary>
    /// Of <see cref="ControlBytes"/>, those from relays to the controller: reports and requests (loopback: the bytes
    /// on the wire, HTTP included; virtual: the encoded reports). The rest came back: route tables, diffs, the directory.
    /// </summary>
    public long ControlToControllerBytes { get; init; }

    /// <summary>The control traffic by kind and over time (sums to <see cref="ControlBytes"/>).</summary>
    public ControlTally? ControlTally { get; init; }
}

/// <summary>A fault as the drill applied it: when (drill seconds), what, the flows whose path it hit, and the route table version just before.</summary>
public sealed record AppliedFault(double At, string Kind, string Target, IReadOnlyList<int> AffectedFlows, string? Note, long TableVersion = 0)
{
    /// <summary>How it turned out, where the engine watches (loopback: a drained relay's end state, a load fault's extra flows).</summary>
    public string? Outcome { get; init; }
}

/// <summary>A flow's route at the end of the drill and its cost against the oracle's optimum on the true link values.</summary>
public sealed record FlowRoute(int Flow, IReadOnlyList<string> Path, double? ExpectedRttMs, double OptimalRttMs);
