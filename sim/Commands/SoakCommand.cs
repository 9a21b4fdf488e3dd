using System.CommandLine;
using System.Text.Json;
using Msdn.Sim.Drills;
using Msdn.Sim.Soak;

namespace Msdn.Sim.Commands;

/// <summary>
/// <c>soak [scenario.json] --out &lt;dir&gt; [--minutes N] [--kill-every S] [--restart-after S]</c>: keeps a loopback
/// overlay busy (see <see cref="SoakRun"/>), prints every relay's figures every 10 s, writes <c>soak.json</c> and
/// <c>soak.csv</c>. Exit code 1 when a flow's bytes were not accounted for (corrupted, or no answer), 2 on a bad scenario.
/// </summary>
internal static class SoakCommand
{
    private static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public static Command Create()
    {
        var scenarioFile = new Argument<FileInfo>("scenario") { Description = "The overlay to soak: its world, flows (count = lanes of prompt subscribers, rateKbps = each flow's pace) and settings.", DefaultValueFactory = _ => new FileInfo(Path.Combine("sim", "drills", "soak.json")) };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for soak.json, soak.csv and the processes' logs.", Required = true };
        var minutes = new Option<double>("--minutes") { Description = "How long the flows run.", DefaultValueFactory = _ => 10 };
        var killEvery = new Option<double>("--kill-every") { Description = "Seconds between relay kills (each relay is started again after --restart-after).", DefaultValueFactory = _ => 90 };
        var restartAfter = new Option<double>("--restart-after") { Description = "Seconds a killed relay stays dead.", DefaultValueFactory = _ => 15 };
        var command = new Command("soak", "Keep a loopback overlay busy for minutes (flows opening and closing, slow and stalled subscribers, relays killed and restarted) and watch each relay's memory, descriptors and threads.")
        {
            scenarioFile,
            output,
            minutes,
            killEvery,
            restartAfter,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Checked here, not in a validator: a validator sees no value for an option left at its default.
            if (parse.GetValue(minutes) is <= 0 or > 24 * 60 || parse.GetValue(killEvery) < 10 || parse.GetValue(restartAfter) < 1)
            {
                await Console.Error.WriteLineAsync("error: --minutes must be above 0 and at most a day, --kill-every at least 10 s, --restart-after at least 1 s").ConfigureAwait(false);
                return 2;
            }

            if (await ScenarioFile.LoadAsync(parse.GetValue(scenarioFile)!).ConfigureAwait(false) is not { } scenario)
            {
                return 2;
            }

            if (scenario.Engine != "loopback" || scenario.Flows.Pairs is not null)
            {
                await Console.Error.WriteLineAsync("error: a soak runs on the loopback engine with flows.count lanes (no flows.pairs)").ConfigureAwait(false);
                return 2;
            }

            var dir = parse.GetValue(output)!;
            dir.Create();
            var options = new SoakOptions(TimeSpan.FromMinutes(parse.GetValue(minutes)), TimeSpan.FromSeconds(parse.GetValue(killEvery)), TimeSpan.FromSeconds(parse.GetValue(restartAfter)), TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(10));
            var run = new SoakRun(scenario, options, Console.Out);
            var report = await run.RunAsync(dir.FullName, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "soak.json"), JsonSerializer.Serialize(report, ReportJson), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "soak.csv"), SoakReport.Csv(run.Samples), cancellationToken).ConfigureAwait(false);
            Console.WriteLine();
            Console.WriteLine($"flows: {report.Delivered} delivered ({report.BytesDelivered / (1024.0 * 1024):F0} MiB), {report.Refused} refused with a reason their sender saw, {report.Corrupted} corrupted, {report.Unaccounted} unanswered");
            foreach (var reason in report.RefusalReasons.Take(6))
            {
                Console.WriteLine($"  refused {reason.Count,4}: {reason.Reason}");
            }

            Console.WriteLine("relay     lives  RSS MiB first → last (per min)   heap MiB first → last (per min)   fds first → last   threads first → last");
            foreach (var relay in report.Relays)
            {
                Console.WriteLine(relay.First is { } f && relay.Last is { } l
                    ? $"{relay.Room,-9} {relay.Incarnations,5}  {f.RssMiB,6:F0} → {l.RssMiB,-6:F0} ({relay.RssMiBPerMinute,6:+0.00;-0.00})     {f.HeapMiB,6:F1} → {l.HeapMiB,-6:F1} ({relay.HeapMiBPerMinute,6:+0.00;-0.00})     {f.Handles,4} → {l.Handles,-4}       {f.Threads,4} → {l.Threads,-4}"
                    : $"{relay.Room,-9} {relay.Incarnations,5}  (too few samples after its last start)");
            }

            Console.WriteLine($"wrote {Path.Combine(dir.FullName, "soak.json")} and soak.csv");
            return report.Passed ? 0 : 1;
        });
        return command;
    }
}
