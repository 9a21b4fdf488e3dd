using System.CommandLine;
using System.Text.Json;
using Msdn.Sim.Drills;
using Msdn.Sim.Drills.Loopback;
using Msdn.Sim.Drills.Virtual;

namespace Msdn.Sim.Commands;

/// <summary>
/// <c>drill &lt;scenario.json&gt; --out &lt;dir&gt; [--seed N] [--rooms N] [--nodes-per-room N] [--transport auto|quic|tcp] [--network loopback|netns]</c>: runs a failure drill, writes <c>summary.json</c>
/// and <c>report.html</c> into the directory and prints a short table. Exit code 1 when bytes were lost,
/// duplicated or reordered, 2 when the scenario is invalid.
/// </summary>
internal static class DrillCommand
{
    private static readonly JsonSerializerOptions SummaryJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var scenarioFile = new Argument<FileInfo>("scenario") { Description = "The scenario (JSON; see sim/drills/ and docs/drills.md)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for summary.json, report.html and the processes' logs.", Required = true };
        var seed = new Option<int?>("--seed") { Description = "Overrides the scenario's seed." };
        var rooms = new Option<int?>("--rooms") { Description = "Overrides the scenario's world.rooms (a generated world): how a figure grows with the network." };
        var nodesPerRoom = new Option<int?>("--nodes-per-room") { Description = "Overrides the scenario's world.nodesPerRoom: relays per room (room-N/k)." };
        var transport = new Option<string?>("--transport") { Description = "Overrides the scenario's settings.transport (loopback engine): auto, quic or tcp." };
        transport.AcceptOnlyFromAmong("auto", "quic", "tcp");
        var network = new Option<string?>("--network") { Description = "Overrides the scenario's settings.network (loopback engine): loopback (all on 127.0.0.1) or netns (each process in its own network namespace on a bridge; needs root)." };
        network.AcceptOnlyFromAmong("loopback", "netns");
        var command = new Command("drill", "Run a failure drill: faults on a timeline against real flows, on the loopback engine (a real controller and relays on 127.0.0.1) or the virtual one (hundreds of rooms in virtual time).")
        {
            scenarioFile,
            output,
            seed,
            rooms,
            nodesPerRoom,
            transport,
            network,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await ScenarioFile.LoadAsync(parse.GetValue(scenarioFile)!).ConfigureAwait(false) is not { } scenario)
            {
                return 2;
            }

            if (parse.GetValue(seed) is { } overridden)
            {
                scenario = scenario with { Seed = overridden };
            }

            if (parse.GetValue(transport) is { } chosen)
            {
                scenario = scenario with { Settings = scenario.Settings with { Transport = chosen } };
            }

            if (parse.GetValue(network) is { } where)
            {
                scenario = scenario with { Settings = scenario.Settings with { Network = where } };
            }

            if (parse.GetValue(rooms) is { } size)
            {
                scenario = scenario with { World = scenario.World with { Rooms = size } };
            }

            if (parse.GetValue(nodesPerRoom) is { } nodes)
            {
                scenario = scenario with { World = scenario.World with { NodesPerRoom = nodes } };
            }

            if (ScenarioLoader.Problems(scenario) is { Count: > 0 } overrides)
            {
                foreach (var problem in overrides)
                {
                    await Console.Error.WriteLineAsync($"error: {problem} (after the command line's overrides)").ConfigureAwait(false);
                }

                return 2;
            }

            var dir = parse.GetValue(output)!;
            dir.Create();
            var summary = await RunAsync(scenario, dir.FullName, Console.Out, cancellationToken).ConfigureAwait(false);
            return summary.BytesLost == 0 && summary.BytesDuplicated == 0 && summary.BytesReordered == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>Runs the drill and writes its outputs; returns the summary.</summary>
    public static async Task<DrillSummary> RunAsync(Scenario scenario, string dir, TextWriter console, CancellationToken cancellationToken)
    {
        var results = scenario.Engine == "virtual"
            ? await Task.Run(() => VirtualDrill.Run(scenario, console, cancellationToken), cancellationToken).ConfigureAwait(false)
            : await LoopbackDrill.RunAsync(scenario, dir, console, cancellationToken).ConfigureAwait(false);
        var summary = DrillSummary.From(results);
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.json"), JsonSerializer.Serialize(summary, SummaryJson), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "report.html"), ReportPage.Render(results, summary), cancellationToken).ConfigureAwait(false);
        await console.WriteLineAsync($"""

            engine {summary.Engine}{(summary.Transport is { } t ? $" over {t}" : string.Empty)}: {summary.Rooms} rooms, {summary.Flows} flows, {summary.VirtualSeconds:F0} s drill in {summary.WallSeconds:F0} s wall
            bytes   sent {summary.BytesSent,12:N0}   delivered {summary.BytesDelivered,12:N0}   lost {summary.BytesLost:N0}   duplicated {summary.BytesDuplicated:N0}   reordered {summary.BytesReordered:N0}
            failover (stall after a fault)   p50 {summary.FailoverMs.P50:F0} ms   p99 {summary.FailoverMs.P99:F0} ms   max {summary.FailoverMs.Max:F0} ms   ({summary.FailoverMs.Count} flow-faults{(summary.FailoverMs.AtPatience > 0 ? $", {summary.FailoverMs.AtPatience} of them not resumed within the 10 s patience: see each flow's stalls" : string.Empty)})
            path stretch   p50 {summary.PathStretch.P50:F2}   p95 {summary.PathStretch.P95:F2}      route changes {summary.RouteChanges}      control {summary.ControlBytes / 1024.0:F0} KiB ({summary.Control!.ToControllerPerRelayPerSecond / 1024:F1} KiB/s per relay up, {summary.Control.FromControllerPerRelayPerSecond / 1024:F1} down{(summary.Control.ByKind is { } kinds ? $"; {string.Join(", ", kinds.Select(k => $"{k.Kind} {k.PerRelayPerSecond / 1024:F2}"))}" : string.Empty)}){(summary.InvariantViolations is { } violations ? $"      route invariant violations {violations.Count}" : string.Empty)}
            wrote {Path.Combine(dir, "summary.json")} and {Path.Combine(dir, "report.html")}
            """).ConfigureAwait(false);
        return summary;
    }
}
