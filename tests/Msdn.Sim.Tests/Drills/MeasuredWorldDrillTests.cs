using Msdn.Sim.Drills;
using Msdn.Sim.Drills.Virtual;
using Xunit.Abstractions;

namespace Msdn.Sim.Tests.Drills;

/// <summary>
/// The project's own gray-failure and partition drills on the measured WonderProxy world (virtual engine, so
/// their figures are the same on every machine): the outcomes the drills were written to show.
/// </summary>
public sealed class MeasuredWorldDrillTests(ITestOutputHelper output)
{
    /// <summary>The drill file as shipped, pointed at the measured data where this machine has it (the file's own relative path assumes the repository's place).</summary>
    private static Scenario Drill(string name, string wonderProxy)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "drills", name));
        var at = Path.Combine(Path.GetTempPath(), $"msdn-{Guid.NewGuid():N}-{name}");
        File.WriteAllText(at, System.Text.RegularExpressions.Regex.Replace(text, "\"wonderProxy\": \"[^\"]*\"", $"\"wonderProxy\": {System.Text.Json.JsonSerializer.Serialize(wonderProxy)}"));
        try
        {
            return ScenarioLoader.Load(at);
        }
        finally
        {
            File.Delete(at);
        }
    }

    [SkippableFact]
    public void Flows_that_only_cross_a_partitioned_region_reroute_around_it_within_one_and_a_half_seconds()
    {
        var directory = Support.SharedData.WonderProxyDirectory();
        Skip.If(directory is null, Support.SharedData.MissingReason);
        var summary = DrillSummary.From(VirtualDrill.Run(Drill("partition-transit.json", directory), TextWriter.Null, CancellationToken.None));

        output.WriteLine($"reroute across the partition: p50 {summary.FailoverMs.P50} ms, p99 {summary.FailoverMs.P99} ms over {summary.FailoverMs.Count} flow-faults");
        Assert.Equal((summary.BytesSent, 0L, 0L, 0L), (summary.BytesDelivered, summary.BytesLost, summary.BytesDuplicated, summary.BytesReordered));
        Assert.True(summary.FailoverMs.Count >= 10, "the partition should hit most flows");
        Assert.Equal(0, summary.FailoverMs.AtPatience);
        Assert.InRange(summary.FailoverMs.P99, 0, 1500); // 4,300 ms before loss bursts, suspected rooms and rescues by a new table
        Assert.All(summary.FlowDetails.SelectMany(f => f.Stalls), stall => Assert.NotEqual(false, stall.Avoidable));
    }

    [SkippableFact]
    public void One_way_loss_moves_no_flow_on_the_healthy_direction_that_would_not_have_moved_anyway()
    {
        var directory = Support.SharedData.WonderProxyDirectory();
        Skip.If(directory is null, Support.SharedData.MissingReason);
        var drill = Drill("one-way-loss.json", directory);
        var faulted = DrillSummary.From(VirtualDrill.Run(drill, TextWriter.Null, CancellationToken.None));
        var calm = DrillSummary.From(VirtualDrill.Run(drill with { Faults = [] }, TextWriter.Null, CancellationToken.None));

        // Flow 0 writes over the lossy direction and leaves it; flow 1 crosses the same link the healthy way.
        Assert.Equal(0, calm.FlowDetails[0].Moves);
        Assert.Equal(1, faulted.FlowDetails[0].Moves);
        Assert.InRange(faulted.FlowDetails[0].MoveTimes![0], 20, 24);
        var healthy = faulted.FlowDetails[1];
        output.WriteLine($"healthy direction: moves at [{string.Join(", ", healthy.MoveTimes!)}] s with the fault, [{string.Join(", ", calm.FlowDetails[1].MoveTimes!)}] s without");
        Assert.Equal(calm.FlowDetails[1].MoveTimes, healthy.MoveTimes); // measurement drift moves it alike either way; the fault none
        Assert.Equal(0, healthy.Failovers);
    }
}
