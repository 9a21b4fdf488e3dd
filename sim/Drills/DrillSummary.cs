using System.Diagnostics;

namespace Msdn.Sim.Drills;

/// <summary>summary.json: what a drill shows, in numbers (docs/drills.md describes each field).</summary>
public sealed record DrillSummary(
    string Engine,
    int Rooms,
    int Flows,
    double VirtualSeconds,
    double WallSeconds,
    long BytesSent,
    long BytesDelivered,
    long BytesLost,
    long BytesDuplicated,
    long BytesReordered,
    Distribution FailoverMs,
    IReadOnlyList<FaultSummary> Faults,
    Stretch PathStretch,
    long RouteChanges,
    long ControlBytes,
    IReadOnlyList<FlowSummary> FlowDetails)
{
    /// <summary>Route invariant violations (virtual engine; null on loopback, which does not check it).</summary>
    public IReadOnlyList<string>? InvariantViolations { get; init; }

    /// <summary><see cref="ControlBytes"/> by direction, and per relay per second.</summary>
    public ControlTraffic? Control { get; init; }

    /// <summary>Route recomputations the controller ran (virtual engine).</summary>
    public long? Recomputations { get; init; }

    /// <summary>Probes the agents sent (virtual engine).</summary>
    public long? ProbesSent { get; init; }

    /// <summary>The relays' transport, quic or tcp+tls (loopback engine).</summary>
    public string? Transport { get; init; }

    /// <summary>A gap in a flow's deliveries at least this long is a stall (<see cref="FlowSummary.Stalls"/>).</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(200);

    /// <summary>Delivery stalls longer than this after a fault count as "not resumed" (the drill's patience).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static DrillSummary From(DrillResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var faults = results.Faults.Select((f, i) => new FaultSummary(
            f.At,
            f.Kind,
            f.Target,
            f.AffectedFlows,
            Distribution.Of([.. f.AffectedFlows.Select(flow => StallMs(results, results.Flows[flow], f.At, i + 1 < results.Faults.Count ? results.Faults[i + 1].At : null))]),
            f.Note,
            (i + 1 < results.Faults.Count ? results.Faults[i + 1].TableVersion : results.FinalTableVersion) - f.TableVersion)
        {
            LeftAfterMs = LeftAfterMs(results, f),
            Outcome = f.Outcome,
        }).ToList();
        var flows = results.Flows.Select(f => new FlowSummary(f.Index, f.From, f.To, f.BytesSent, f.BytesDelivered, f.Failure) { Moves = f.Moves, MoveTimes = f.Moves is null ? null : f.MoveTimes, Failovers = f.Failovers, Stalls = Stalls(results, f), Paths = f.PathsUsed }).ToList();
        var stretches = (results.PairStretches ?? [.. results.Routes.Where(r => r.ExpectedRttMs is not null && r.OptimalRttMs > 0).Select(r => r.ExpectedRttMs!.Value / r.OptimalRttMs)]).Order().ToList();
        return new DrillSummary(
            results.Scenario.Engine,
            results.World.Rooms,
            results.Flows.Count,
            results.Scenario.DurationSeconds,
            Math.Round(results.WallSeconds, 1),
            results.Flows.Sum(f => f.BytesSent),
            results.Flows.Sum(f => f.BytesDelivered),
            results.Flows.Sum(f => Math.Max(0, f.BytesSent - f.BytesDelivered)),
            results.Flows.Sum(f => f.BytesDuplicated),
            results.Flows.Sum(f => f.BytesReordered),
            Distribution.Of([.. faults.SelectMany(f => f.FailoverMs.Samples)]),
            faults,
            new Stretch(Round(Percentile(stretches, 0.5)), Round(Percentile(stretches, 0.95))),
            results.RouteChanges,
            results.ControlBytes,
            flows)
        {
            Control = ControlTraffic.Of(results),
            InvariantViolations = results.InvariantViolations,
            Recomputations = results.Recomputations,
            ProbesSent = results.ProbesSent,
            Transport = results.Transport,
        };
    }

    /// <summary>
    /// How long delivery stopped around a fault: the longest gap between consecutive arrivals that spans or
    /// follows the fault, within the drill's patience and before the next fault (whose stall is its own;
    /// the whole window when nothing arrived after it).
    /// </summary>
    public static double StallMs(DrillResults results, DrillFlow flow, double at, double? nextFaultAt = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(flow);
        var fault = results.StartTicks + (long)(at * Stopwatch.Frequency);
        var end = fault + (long)(Math.Min(Patience.TotalSeconds, Math.Max(0, (nextFaultAt ?? double.MaxValue) - at)) * Stopwatch.Frequency);
        long? previous = null;
        double longest = 0;
        foreach (var (ticks, _) in flow.Arrivals)
        {
            if (ticks > end)
            {
                break;
            }

            if (previous is { } p && ticks > fault)
            {
                longest = Math.Max(longest, (ticks - Math.Max(p, fault)) * 1000.0 / Stopwatch.Frequency);
            }

            previous = ticks;
        }

        var last = previous ?? fault;
        var drillEnd = results.StartTicks + (long)(results.Scenario.DurationSeconds * Stopwatch.Frequency);
        if (last < Math.Min(end, drillEnd) - (long)(0.5 * Stopwatch.Frequency))
        {
            longest = Math.Max(longest, (Math.Min(end, drillEnd) - Math.Max(last, fault)) * 1000.0 / Stopwatch.Frequency); // never resumed
        }

        return Math.Round(longest, 1);
    }

    /// <summary>
    /// For a fault that degrades a link (degrade, oneWayLoss): how long each flow it hit kept using the link, from
    /// the fault to the flow's first path change after it (a move or a failover), within the fault's own time;
    /// null for other kinds and where the engine does not record path changes (loopback).
    /// </summary>
    private static IReadOnlyList<double?>? LeftAfterMs(DrillResults results, AppliedFault fault)
    {
        if (!FaultKinds.TryParse(fault.Kind, out var kind) || kind is not (FaultKind.Degrade or FaultKind.OneWayLoss) || results.Flows.All(f => f.Moves is null))
        {
            return null;
        }

        return [.. fault.AffectedFlows.Select(index =>
        {
            var flow = results.Flows[index];
            var left = flow.MoveTimes.Concat(flow.FailoverTimes).Where(t => t >= fault.At).DefaultIfEmpty(double.NaN).Min();
            return double.IsNaN(left) ? (double?)null : Math.Round((left - fault.At) * 1000, 1);
        })];
    }

    /// <summary>
    /// Every gap in a flow's deliveries of at least <see cref="StallThreshold"/> (or four records' time at a slow
    /// rate), whole, never capped: when it began and ended (drill seconds), how long, and the last fault before it
    /// ended; a flow that never resumed stalls to the drill's end.
    /// </summary>
    public static IReadOnlyList<FlowStall> Stalls(DrillResults results, DrillFlow flow)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(flow);
        var threshold = Math.Max(StallThreshold.TotalSeconds, 4 / flow.RecordsPerSecond);
        double Seconds(long ticks) => (ticks - results.StartTicks) / (double)Stopwatch.Frequency;
        var stalls = new List<FlowStall>();
        var specs = results.Scenario.Faults.OrderBy(f => f.At).ToList(); // applied in this order
        void Add(double start, double end)
        {
            var at = results.Faults.Count - 1;
            while (at >= 0 && results.Faults[at].At >= end)
            {
                at--; // a stall begins at the last delivery, a moment before its fault: the last fault before it ended
            }

            var cause = at >= 0 ? results.Faults[at] : null;
            var liftedAt = cause is not null && at < specs.Count && specs[at].ForSeconds is { } lasted ? cause.At + lasted : (double?)null;
            var afterLift = start >= liftedAt; // a stall that began once the fault was over: it cut nothing off then
            stalls.Add(new FlowStall(Round(start), Round(end), Math.Round((end - start) * 1000, 1), cause is null ? null : $"{cause.Kind} {cause.Target} at {cause.At:F1} s{(afterLift ? $", lifted at {liftedAt:F1} s" : string.Empty)}")
            {
                Avoidable = cause is null || at >= specs.Count ? null : afterLift || !CutsOff(results, specs[at], cause, flow),
            });
        }

        double? previous = null;
        foreach (var (ticks, _) in flow.Arrivals)
        {
            var at = Seconds(ticks);
            if (previous is { } p && at - p >= threshold)
            {
                Add(p, at);
            }

            previous = at;
        }

        var drillEnd = results.Scenario.DurationSeconds;
        if (previous is { } last && drillEnd - last >= threshold && flow.BytesDelivered < flow.BytesSent)
        {
            Add(last, drillEnd); // never resumed before the drill ended
        }

        return stalls;
    }

    /// <summary>Whether the fault left the flow no path at all: its own room killed, or one of its rooms inside a partitioned region.</summary>
    private static bool CutsOff(DrillResults results, FaultSpec fault, AppliedFault applied, DrillFlow flow)
    {
        int from = ScenarioLoader.RoomIndex(flow.From), to = ScenarioLoader.RoomIndex(flow.To);
        return fault.Type switch
        {
            FaultKind.Kill => applied.Target == flow.From || applied.Target == flow.To, // the room it aimed at, named or picked by transitOf
            FaultKind.Partition => fault.Region is { } region && (results.World.Places[from].Region == region) != (results.World.Places[to].Region == region),
            _ => false,
        };
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * p) - 1)];

    private static double Round(double value) => Math.Round(value, 3);
}

public sealed record Distribution(double P50, double P99, double Max, int Count, IReadOnlyList<double> Samples)
{
    public static Distribution Of(List<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        samples.Sort();
        double At(double p) => samples.Count == 0 ? 0 : samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(samples.Count * p) - 1)];
        return new Distribution(At(0.5), At(0.99), samples.Count == 0 ? 0 : samples[^1], samples.Count, samples)
        {
            AtPatience = samples.Count(s => s >= DrillSummary.Patience.TotalMilliseconds),
        };
    }

    /// <summary>
    /// Samples that reached the drill's patience (10 s): flows that had not resumed by then. Their real stalls are
    /// longer; each flow's <see cref="FlowSummary.Stalls"/> has them whole.
    /// </summary>
    public int AtPatience { get; init; }
}

public sealed record Stretch(double P50, double P95);

/// <remarks><see cref="RouteChanges"/>: route table versions from this fault until the next one (or the drill's end).</remarks>
public sealed record FaultSummary(double At, string Kind, string Target, IReadOnlyList<int> AffectedFlows, Distribution FailoverMs, string? Note, long RouteChanges)
{
    /// <summary>For degrade and oneWayLoss: per flow hit, ms from the fault until it left the path (null: it never did).</summary>
    public IReadOnlyList<double?>? LeftAfterMs { get; init; }

    /// <summary>How it turned out (<see cref="AppliedFault.Outcome"/>).</summary>
    public string? Outcome { get; init; }
}

public sealed record FlowSummary(int Flow, string From, string To, long BytesSent, long BytesDelivered, string? Failure)
{
    /// <summary>Moves to a better primary over the drill (virtual engine).</summary>
    public int? Moves { get; init; }

    /// <summary>When (drill seconds) each of those moves happened.</summary>
    public IReadOnlyList<double>? MoveTimes { get; init; }

    /// <summary>Failovers off a broken path over the drill (virtual engine).</summary>
    public int? Failovers { get; init; }

    /// <summary>Every delivery gap of at least 200 ms, whole (not capped at the drill's patience), with the fault before it.</summary>
    public IReadOnlyList<FlowStall> Stalls { get; init; } = [];

    /// <summary>The paths the flow ran on and when (virtual engine: every change; loopback: its ingress relay asked twice a second).</summary>
    public IReadOnlyList<PathUse> Paths { get; init; } = [];
}

/// <summary>A gap in a flow's deliveries: from the last delivery before it to the first after (drill seconds), and the last fault before it began.</summary>
public sealed record FlowStall(double Start, double End, double Ms, string? After)
{
    /// <summary>
    /// False when the fault left the flow no path at all (its own room killed, or it crosses a partition's edge),
    /// so no route could have shortened the stall; true when some path remained; null with no fault before it.
    /// </summary>
    public bool? Avoidable { get; init; }
}

/// <summary>
/// Control traffic by direction: relays to the controller (reports, requests) and back (route tables and diffs, the
/// directory, answers), in bytes and in bytes per relay per second of the drill; by kind, each kind both ways; and
/// each second's bytes by kind (<see cref="Timeline"/>).
/// </summary>
public sealed record ControlTraffic(long ToControllerBytes, long FromControllerBytes, double ToControllerPerRelayPerSecond, double FromControllerPerRelayPerSecond)
{
    public IReadOnlyList<ControlKindTraffic>? ByKind { get; init; }

    public IReadOnlyList<ControlSecond>? Timeline { get; init; }

    public static ControlTraffic Of(DrillResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var up = results.ControlToControllerBytes;
        var down = Math.Max(0, results.ControlBytes - up);
        var relaySeconds = Math.Max(1, results.World.Rooms * results.Scenario.DurationSeconds);
        return new ControlTraffic(up, down, Math.Round(up / relaySeconds, 1), Math.Round(down / relaySeconds, 1))
        {
            ByKind = results.ControlTally?.Kinds().Select(k => new ControlKindTraffic(k.Kind, k.ToController, k.FromController, Math.Round((k.ToController + k.FromController) / relaySeconds, 1))).ToList(),
            Timeline = results.ControlTally?.Timeline(),
        };
    }
}

/// <summary>One kind of control traffic (reports, routes, directory, certificate; loopback: unattributed) both ways, and per relay per second.</summary>
public sealed record ControlKindTraffic(string Kind, long ToControllerBytes, long FromControllerBytes, double PerRelayPerSecond);
