using Msdn.Sim.Commands;
using Msdn.Sim.Drills;
using Xunit.Abstractions;

namespace Msdn.Sim.Tests.Drills;

/// <summary>
/// The README's main job, in CI: the quickstart drill on the loopback engine (a real controller and six
/// real relays as processes, real flows, a relay killed, a link cut, the controller unreachable, a link
/// degraded, a relay drained) delivers every byte once and in order.
/// </summary>
public sealed class QuickstartDrillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_quickstart_drill_loses_duplicates_and_reorders_nothing()
    {
        var scenario = ScenarioLoader.Load(ScenarioValidationTests.Quickstart);
        var console = new StringWriter();
        var summary = await DrillCommand.RunAsync(scenario, _dir, console, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(4));
        output.WriteLine(console.ToString());
        Assert.True(summary.BytesSent > 1_000_000, $"only {summary.BytesSent} bytes were sent");
        Assert.Equal(summary.BytesSent, summary.BytesDelivered);
        Assert.Equal((0L, 0L, 0L), (summary.BytesLost, summary.BytesDuplicated, summary.BytesReordered));
        Assert.All(summary.FlowDetails, f => Assert.Null(f.Failure));
        Assert.Contains(summary.Faults, f => f.Kind == "kill" && f.AffectedFlows.Count > 0); // the kill hit a flow's path
        Assert.True(File.Exists(Path.Combine(_dir, "summary.json")));
        Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(_dir, "report.html")), StringComparison.Ordinal);
    }
}
