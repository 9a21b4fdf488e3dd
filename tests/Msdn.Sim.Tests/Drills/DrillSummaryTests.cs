using System.Diagnostics;
using Msdn.Sim.Drills;

namespace Msdn.Sim.Tests.Drills;

/// <summary>How the summary measures a fault's failover: the longest delivery stall after it, up to the next fault.</summary>
public sealed class DrillSummaryTests
{
    [Fact]
    public void Each_fault_gets_its_own_stall_not_the_next_faults()
    {
        // Records every 10 ms for 20 s, none in [5.0, 5.2) s nor in [10.0, 10.4) s.
        var flow = new DrillFlow(0, "room-0", "room-1", 512 * 8 * 100 / 1000.0);
        for (var ms = 10; ms <= 20_000; ms += 10)
        {
            var ticks = (long)(ms / 1000.0 * Stopwatch.Frequency);
            var records = flow.TakeDue(ms / 1000.0, ticks);
            if (ms is not (>= 5_000 and < 5_200) && ms is not (>= 10_000 and < 10_400))
            {
                flow.Receive(records, ticks);
            }
        }

        var scenario = new Scenario { DurationSeconds = 20 };
        var world = GeneratedWorld.Create(new WorldSpec { Rooms = 3, Regions = 1 }, 1);
        var results = new DrillResults(
            scenario,
            world,
            [flow],
            [new AppliedFault(5, "kill", "room-2", [0], null), new AppliedFault(10, "cut", "room-0>room-1", [0], null)],
            0,
            1,
            [],
            0,
            0);

        var summary = DrillSummary.From(results);
        Assert.Equal(200, summary.Faults[0].FailoverMs.Max, 0); // 5.0 → 5.2 s: not the 400 ms stall that follows the cut at 10 s
        Assert.Equal(400, summary.Faults[1].FailoverMs.Max, 0);
        Assert.Equal(400, summary.FailoverMs.P99, 0);
    }
}
