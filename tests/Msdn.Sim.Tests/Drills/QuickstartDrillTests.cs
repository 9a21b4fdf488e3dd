using Msdn.Sim.Commands;
using Msdn.Sim.Drills;
using Msdn.Tests.Common;
using Xunit.Abstractions;

namespace Msdn.Sim.Tests.Drills;

/// <summary>
/// The README's main job, in CI: the quickstart drill on the loopback engine (a real controller and six
/// real relays as processes, real flows, a relay killed, a link cut, the controller unreachable, a link
/// degraded, a relay drained) delivers every byte once and in order, over each relay transport.
/// </summary>
[Collection(Support.RealProcessDrills.Name)]
public sealed class QuickstartDrillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task Across_network_namespaces_the_quickstart_drill_gives_the_same_verdicts()
    {
        var unavailable = Msdn.Sim.Drills.Loopback.NamespaceNetwork.Unavailable();
        Skip.If(unavailable is not null, $"the netns drill cannot run here: {unavailable}");
        var scenario = ScenarioLoader.Load(ScenarioValidationTests.Quickstart);
        scenario = scenario with { Settings = scenario.Settings with { Network = "netns" } };
        var console = new StringWriter();
        var summary = await DrillCommand.RunAsync(scenario, _dir, console, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(4));
        output.WriteLine(console.ToString());
        Assert.Contains("each in its own network namespace", console.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", await File.ReadAllTextAsync(Path.Combine(_dir, "room-0", "directory.json")), StringComparison.Ordinal); // peers meet at their own addresses
        Assert.True(summary.BytesSent > 1_000_000, $"only {summary.BytesSent} bytes were sent");
        Assert.Equal(summary.BytesSent, summary.BytesDelivered);
        Assert.Equal((0L, 0L, 0L), (summary.BytesLost, summary.BytesDuplicated, summary.BytesReordered));
        Assert.All(summary.FlowDetails, f => Assert.Null(f.Failure));
        Assert.Contains(summary.Faults, f => f.Kind == "kill" && f.AffectedFlows.Count > 0);
    }

    [SkippableTheory]
    [InlineData("quic", "quic")]
    [InlineData("tcp", "tcp+tls")]
    public async Task The_quickstart_drill_loses_duplicates_and_reorders_nothing(string transport, string runs)
    {
        Skip.If(transport == "quic" && !QuicSupport.IsAvailable, QuicSupport.Missing);
        var scenario = ScenarioLoader.Load(ScenarioValidationTests.Quickstart);
        scenario = scenario with { Settings = scenario.Settings with { Transport = transport } };
        var console = new StringWriter();
        var summary = await DrillCommand.RunAsync(scenario, _dir, console, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(4));
        output.WriteLine(console.ToString());
        Assert.Equal(runs, summary.Transport);
        Assert.True(summary.BytesSent > 1_000_000, $"only {summary.BytesSent} bytes were sent");
        Assert.Equal(summary.BytesSent, summary.BytesDelivered);
        Assert.Equal((0L, 0L, 0L), (summary.BytesLost, summary.BytesDuplicated, summary.BytesReordered));
        Assert.All(summary.FlowDetails, f => Assert.Null(f.Failure));
        Assert.Contains(summary.Faults, f => f.Kind == "kill" && f.AffectedFlows.Count > 0); // the kill hit a flow's path

        // The relays' own wire counts by kind account for what the control proxy carried (a killed relay's last second aside).
        var kinds = summary.Control!.ByKind!.ToDictionary(k => k.Kind, k => k.ToControllerBytes + k.FromControllerBytes);
        Assert.All(new[] { "reports", "routes", "directory" }, kind => Assert.True(kinds.GetValueOrDefault(kind) > 0, $"no {kind} bytes: {string.Join(", ", kinds)}"));
        Assert.True(kinds.GetValueOrDefault("unattributed") < summary.ControlBytes / 10, $"the relays' counts missed {kinds.GetValueOrDefault("unattributed")} of {summary.ControlBytes} bytes");
        Assert.Equal(kinds.Values.Sum(), summary.Control.Timeline!.Sum(s => s.Bytes.Values.Sum()));
        Assert.All(summary.FlowDetails, f => Assert.Contains(f.Paths, use => use.Path[0] == f.From && use.Path[^1] == f.To && use.To > use.From)); // where each flow ran, as its relay said
        Assert.True(File.Exists(Path.Combine(_dir, "summary.json")));
        Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(_dir, "report.html")), StringComparison.Ordinal);
    }
}
