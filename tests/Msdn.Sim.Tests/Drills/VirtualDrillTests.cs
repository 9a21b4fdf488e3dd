using System.Text.Json;
using FsCheck.Xunit;
using Msdn.Sim.Drills;
using Msdn.Sim.Drills.Virtual;

namespace Msdn.Sim.Tests.Drills;

/// <summary>The virtual engine: deterministic for a seed, and its invariants hold after any fault schedule.</summary>
public sealed class VirtualDrillTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A small world with every kind of fault and every link dynamic.</summary>
    private static Scenario Small(int seed, IReadOnlyList<FaultSpec>? faults = null) => new()
    {
        Engine = "virtual",
        Seed = seed,
        DurationSeconds = 40,
        World = new WorldSpec { Rooms = 24, Regions = 3, DetourShare = 0.2, JitterMs = 1, Loss = 0.001, LossBurst = 2, DegradingShare = 0.1, DegradeMsPerMinute = 30 },
        Flows = new FlowSpec { Count = 6, RateKbps = 800 },
        Faults = faults ??
        [
            new FaultSpec { At = 4, Kind = "kill", TransitOf = 0 },
            new FaultSpec { At = 8, Kind = "cut", TransitOf = 1, ForSeconds = 6 },
            new FaultSpec { At = 12, Kind = "controllerDown", ForSeconds = 4 },
            new FaultSpec { At = 16, Kind = "degrade", TransitOf = 2, DelayMs = 80, Loss = 0.2, Burst = 3, ForSeconds = 5 },
            new FaultSpec { At = 20, Kind = "drain", TransitOf = 3 },
            new FaultSpec { At = 24, Kind = "oneWayLoss", TransitOf = 4, Loss = 0.5, ForSeconds = 5 },
            new FaultSpec { At = 28, Kind = "partition", Region = 1, ForSeconds = 5 },
        ],
    };

    private static string SummaryJson(Scenario scenario) =>
        JsonSerializer.Serialize(DrillSummary.From(VirtualDrill.Run(scenario, TextWriter.Null, CancellationToken.None) with { WallSeconds = 0 }), Json);

    [Fact]
    public void The_same_scenario_and_seed_give_a_byte_identical_summary()
    {
        var first = SummaryJson(Small(11));
        var second = SummaryJson(Small(11));
        Assert.Equal(first, second);
        Assert.NotEqual(first, SummaryJson(Small(12)));
    }

    [Fact]
    public void The_summary_does_not_depend_on_whether_idle_cores_sweep_the_quiet_links()
    {
        var scenario = Small(13);
        string Summary(bool idleSweeper) => JsonSerializer.Serialize(DrillSummary.From(VirtualDrill.Run(scenario, TextWriter.Null, idleSweeper, CancellationToken.None) with { WallSeconds = 0 }), Json);
        Assert.Equal(Summary(false), Summary(true));
    }

    [Fact]
    public void In_rooms_of_two_relays_flows_outlive_their_ingress_transit_and_draining_relays()
    {
        var scenario = Small(7, [
            new FaultSpec { At = 4, Kind = "kill", IngressOf = 0 },
            new FaultSpec { At = 8, Kind = "kill", TransitOf = 1 },
            new FaultSpec { At = 12, Kind = "drain", IngressOf = 2 },
            new FaultSpec { At = 18, Kind = "kill", IngressOf = 3, ForSeconds = 5 },
        ]) with
        {
            World = new WorldSpec { Rooms = 24, Regions = 3, DetourShare = 0.2, JitterMs = 1, NodesPerRoom = 2 },
            Settings = new SettingsSpec { DrainTimeoutMs = 3000 },
        };
        Assert.Empty(ScenarioLoader.Problems(scenario));
        var summary = DrillSummary.From(VirtualDrill.Run(scenario, TextWriter.Null, CancellationToken.None));

        Assert.Equal(summary.BytesSent, summary.BytesDelivered);
        Assert.Equal(0, summary.BytesDuplicated + summary.BytesReordered);
        Assert.All(summary.FlowDetails, flow => Assert.Null(flow.Failure));
        Assert.Empty(summary.InvariantViolations!);

        // Each fault hit one relay, named as such, and its flows went on through a sibling of it within a second.
        Assert.All(summary.Faults, fault => Assert.Matches(@"^room-\d+/[01]", fault.Target));
        Assert.All(summary.Faults.Where(f => f.AffectedFlows.Count > 0), fault => Assert.InRange(fault.FailoverMs.Max, 0, 1000));
        foreach (var ingress in summary.Faults.Where(f => f.Target.Contains("ingress", StringComparison.Ordinal)))
        {
            Assert.True(summary.FlowDetails[ingress.AffectedFlows[0]].Failovers >= 1, $"flow {ingress.AffectedFlows[0]} resumed elsewhere after {ingress.Kind} of {ingress.Target}");
        }

        Assert.Equal(SummaryJson(scenario), SummaryJson(scenario));
    }

    [Fact]
    public void A_drill_fills_every_summary_field_and_fails_flows_over()
    {
        var results = VirtualDrill.Run(Small(5), TextWriter.Null, CancellationToken.None);
        var summary = DrillSummary.From(results);
        Assert.Equal("virtual", summary.Engine);
        Assert.Equal(24, summary.Rooms);
        Assert.Equal(6, summary.Flows);
        Assert.Equal(7, summary.Faults.Count);
        Assert.True(summary.BytesSent > 6 * 800_000 / 8 * 39, $"sent {summary.BytesSent}");
        Assert.Equal(summary.BytesSent, summary.BytesDelivered);
        Assert.True(summary.FailoverMs.Count > 0, "some fault hit a flow");
        Assert.True(summary.PathStretch.P50 >= 1 && summary.PathStretch.P95 < 2, $"stretch {summary.PathStretch}");
        Assert.True(summary.RouteChanges > 0 && summary.ControlBytes > 0 && summary.ProbesSent > 24 * 23 * 40);
        Assert.True(summary.Control!.ToControllerBytes > 0 && summary.Control.FromControllerBytes > 0);
        Assert.Equal(summary.ControlBytes, summary.Control.ToControllerBytes + summary.Control.FromControllerBytes);
        Assert.Equal(Math.Round(summary.Control.ToControllerBytes / (24 * 40.0), 1), summary.Control.ToControllerPerRelayPerSecond);
        Assert.Equal(["reports", "routes"], summary.Control.ByKind!.Select(k => k.Kind));
        Assert.Equal(summary.ControlBytes, summary.Control.ByKind!.Sum(k => k.ToControllerBytes + k.FromControllerBytes));
        Assert.Equal(summary.ControlBytes, summary.Control.Timeline!.Sum(s => s.Bytes.Values.Sum()));
        Assert.Empty(summary.InvariantViolations!);
        Assert.Contains("<svg", ReportPage.Render(results, summary), StringComparison.Ordinal);

        // Each flow's paths: from its room to its destination, one after another in time, a new one at every failover
        // or move, and together covering the drill but for the moments between leaving a path and taking the next.
        Assert.All(summary.FlowDetails, flow =>
        {
            Assert.All(flow.Paths, use => Assert.True(use.Path[0] == flow.From && use.Path[^1] == flow.To && use.To >= use.From, $"flow {flow.Flow}: {use}"));
            Assert.All(flow.Paths.Zip(flow.Paths.Skip(1)), pair => Assert.True(pair.Second.From >= pair.First.To, $"flow {flow.Flow}: {pair.First} then {pair.Second}"));
            Assert.True(flow.Paths.Count >= 1 + (flow.Failovers ?? 0) + (flow.Moves ?? 0) - flow.Stalls.Count, $"flow {flow.Flow}: {flow.Paths.Count} paths, {flow.Failovers} failovers, {flow.Moves} moves");
            Assert.InRange(flow.Paths.Sum(u => u.To - u.From), 40 - flow.Stalls.Sum(st => st.Ms / 1000) - 1, 41); // flows finish delivering past the end
        });
        var page = ReportPage.Render(results, summary);
        var used = summary.FlowDetails.SelectMany(f => f.Paths.SelectMany(u => u.Path.Zip(u.Path.Skip(1)))).Distinct().Count();
        Assert.True(System.Text.RegularExpressions.Regex.Count(page, "<line ") >= used, "every link a flow used is on the map");
    }

    [Fact]
    public void A_flow_cut_off_by_a_partition_has_its_whole_stall_marked_unavoidable_and_a_flow_on_a_degraded_link_says_when_it_left()
    {
        var world = GeneratedWorld.Create(new WorldSpec { Rooms = 24, Regions = 3 }, 7);
        var inside = Enumerable.Range(0, 24).First(i => world.Places[i].Region == 1);
        var outside = Enumerable.Range(0, 24).First(i => world.Places[i].Region != 1);
        var scenario = Small(7, [new FaultSpec { At = 6, Kind = "degrade", TransitOf = 1, Loss = 0.45, ForSeconds = 8 }, new FaultSpec { At = 16, Kind = "partition", Region = 1, ForSeconds = 12 }]) with
        {
            World = new WorldSpec { Rooms = 24, Regions = 3 },
            Flows = new FlowSpec { RateKbps = 800, Pairs = [new FlowPair(ScenarioLoader.RoomName(outside), ScenarioLoader.RoomName(inside)), new FlowPair("room-0", "room-5")] },
        };
        Assert.Empty(ScenarioLoader.Problems(scenario));
        var summary = DrillSummary.From(VirtualDrill.Run(scenario, TextWriter.Null, CancellationToken.None));

        // The partition lasts 12 s: longer than the 10 s patience, so failoverMs reaches it and says so; the stall is whole.
        var cutOff = Assert.Single(summary.FlowDetails[0].Stalls, s => s.Ms > 10_000);
        Assert.False(cutOff.Avoidable);
        Assert.InRange(cutOff.End, 28, 31); // resumed soon after the lift
        Assert.True(summary.Faults[1].FailoverMs.AtPatience >= 1);
        Assert.All(summary.FlowDetails.SelectMany(f => f.Stalls).Where(s => s.Start >= 28), s => Assert.NotEqual(false, s.Avoidable)); // the partition was over: it cut nothing off then

        var degraded = summary.Faults[0];
        Assert.NotEmpty(degraded.AffectedFlows);
        Assert.NotNull(degraded.LeftAfterMs);
        Assert.Equal(degraded.AffectedFlows.Count, degraded.LeftAfterMs!.Count);
        Assert.All(degraded.LeftAfterMs, left => Assert.InRange(left!.Value, 0, 8000)); // every flow on it left while it lasted
    }

    [SkippableFact]
    public void The_measured_world_runs_clean()
    {
        var directory = Support.SharedData.WonderProxyDirectory();
        Skip.If(directory is null, Support.SharedData.MissingReason);
        var scenario = Small(3) with
        {
            World = new WorldSpec { WonderProxy = directory, JitterMs = 1, Loss = 0.001 },
            Flows = new FlowSpec { Count = 10, RateKbps = 500 },
            Faults = [new FaultSpec { At = 5, Kind = "kill", TransitOf = 0 }, new FaultSpec { At = 10, Kind = "cut", TransitOf = 1, ForSeconds = 5 }],
            DurationSeconds = 20,
        };
        Assert.Empty(ScenarioLoader.Problems(scenario));
        var summary = DrillSummary.From(VirtualDrill.Run(scenario, TextWriter.Null, CancellationToken.None));
        Assert.Equal(246, summary.Rooms);
        Assert.Equal((summary.BytesSent, 0L, 0L), (summary.BytesDelivered, summary.BytesDuplicated, summary.BytesReordered));
        Assert.Empty(summary.InvariantViolations!);
        Assert.InRange(summary.PathStretch.P50, 1, 1.1); // routes over measured RTTs are near the optimum on them
    }

    /// <summary>
    /// Chaos: random fault schedules (kinds, times, targets, durations) on a random world. After each run:
    /// no byte lost, duplicated or reordered on a flow whose endpoints survived, and no published table
    /// routed over a link declared down before its computation (by the report's slack).
    /// </summary>
    [Property(MaxTest = 10)]
    public void Invariants_hold_after_any_fault_schedule(int seed)
    {
        var random = new Random(seed);
        string[] kinds = ["kill", "cut", "degrade", "oneWayLoss", "controllerDown", "drain", "partition"];
        var faults = Enumerable.Range(0, 6).Select(_ =>
        {
            var kind = kinds[random.Next(kinds.Length)];
            return new FaultSpec
            {
                At = Math.Round(2 + (random.NextDouble() * 30), 1),
                Kind = kind,
                TransitOf = kind is "controllerDown" or "partition" ? null : random.Next(6),
                Region = kind == "partition" ? random.Next(3) : null,
                ForSeconds = kind == "kill" && random.Next(2) == 0 ? null : Math.Round(1 + (random.NextDouble() * 6), 1),
                DelayMs = kind is "degrade" ? random.Next(200) : null,
                Loss = kind is "degrade" or "oneWayLoss" ? random.NextDouble() * 0.6 : null,
            };
        }).ToList();
        var results = VirtualDrill.Run(Small(seed, faults), TextWriter.Null, CancellationToken.None);
        var summary = DrillSummary.From(results);
        var faultList = string.Join("; ", results.Faults.Select(f => $"{f.At} {f.Kind} {f.Target}"));
        Assert.True(summary.InvariantViolations!.Count == 0, $"seed {seed}: {string.Join(Environment.NewLine, summary.InvariantViolations.Take(5))}; faults: {faultList}");
        foreach (var flow in results.Flows)
        {
            Assert.Equal(0, flow.BytesDuplicated);
            Assert.Equal(0, flow.BytesReordered);
            Assert.True(flow.BytesDelivered == flow.BytesSent, $"seed {seed}, flow {flow.Index} {flow.From}>{flow.To}: {flow.BytesDelivered} of {flow.BytesSent} delivered ({flow.Failure}); faults: {faultList}");
        }
    }
}
