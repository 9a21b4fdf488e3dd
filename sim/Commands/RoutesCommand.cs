using System.CommandLine;
using System.Globalization;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Sim.Output;
using Msdn.Sim.WonderProxy;

namespace Msdn.Sim.Commands;

/// <summary>
/// <c>routes --wonderproxy &lt;dir&gt; [--hop-penalty-ms X] [--latency-only] --out &lt;file.csv&gt;</c>: the full route
/// table of the WonderProxy world as CSV, and a summary of how often the overlay beats the direct path.
/// </summary>
internal static class RoutesCommand
{
    public static Command Create()
    {
        var wonderProxy = new Option<DirectoryInfo>("--wonderproxy")
        {
            Description = "Directory holding WonderProxy's servers and pings CSV files (e.g. ../shared/data/wonderproxy-2020).",
            Required = true,
        };
        var hopPenalty = new Option<double?>("--hop-penalty-ms")
        {
            Description = "Milliseconds added to every link (default: the cost model's, or 0 with --latency-only).",
        };
        hopPenalty.Validators.Add(result =>
        {
            if (result.GetValue(hopPenalty) is { } value && (!double.IsFinite(value) || value < 0))
            {
                result.AddError($"--hop-penalty-ms must be a finite number >= 0, got {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        var latencyOnly = new Option<bool>("--latency-only")
        {
            Description = "Cost is the RTT alone: jitter and loss weights 0 (and no hop penalty unless --hop-penalty-ms is given).",
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "CSV file to write: from,to,direct_ms,cost_ms,path,backup_path.",
            Required = true,
        };

        var command = new Command("routes", "Compute the full route table (primary + disjoint backup) of the WonderProxy world.")
        {
            wonderProxy,
            hopPenalty,
            latencyOnly,
            output,
        };
        command.SetAction(parse =>
        {
            var options = parse.GetValue(latencyOnly)
                ? CostModelOptions.LatencyOnly
                : new CostModelOptions();
            if (parse.GetValue(hopPenalty) is { } penalty)
            {
                options = options with { HopPenaltyMs = penalty };
            }

            return Run(parse.GetValue(wonderProxy)!.FullName, options, parse.GetValue(output)!.FullName, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });
        return command;
    }

    public static int Run(string directory, CostModelOptions costOptions, string outputPath, TextWriter stdout, TextWriter stderr)
    {
        WonderProxyDataset dataset;
        try
        {
            dataset = WonderProxyDataset.Load(directory);
        }
        catch (WonderProxyFormatException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }

        var costs = new CostModel(costOptions);
        var computer = new RouteComputer(costs, new HysteresisOptions());
        // Timed on a second run: the first one pays for JIT compilation, which says nothing about routing.
        computer.Compute(dataset.Topology);
        var started = TimeProvider.System.GetTimestamp();
        var table = computer.Compute(dataset.Topology);
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        using (var writer = new StreamWriter(outputPath))
        {
            RouteCsvWriter.Write(writer, table, dataset.Topology, costs);
        }

        var summary = RouteSummary.Of(table, RouteCsvWriter.DirectCosts(dataset.Topology, costs));
        stdout.WriteLine($"WonderProxy 2020 all-pairs pings (data: WonderProxy), cost model: {Describe(costOptions)}");
        stdout.WriteLine($"rooms                          {dataset.Topology.RoomCount}");
        stdout.WriteLine($"directed links                 {dataset.Topology.Links.Length}");
        stdout.WriteLine($"pairs with a route             {summary.Pairs}");
        stdout.WriteLine($"best path is not the direct    {summary.Indirect} ({Percent(summary.Indirect, summary.Pairs)})");
        stdout.WriteLine($"mean cost, direct vs best      {summary.MeanDirectMs:F1} ms vs {summary.MeanBestMs:F1} ms (over {summary.PairsWithDirect} pairs with a direct link)");
        stdout.WriteLine($"pairs with a backup            {summary.WithBackup} ({Percent(summary.WithBackup, summary.Pairs)})");
        stdout.WriteLine($"compute time                   {elapsed.TotalMilliseconds:F0} ms (full table, one core, warm)");
        stdout.WriteLine($"wrote                          {outputPath}");
        return 0;
    }

    private static string Describe(CostModelOptions o) =>
        string.Create(CultureInfo.InvariantCulture, $"rtt + {o.JitterWeight}*jitter + {o.LossPenaltyMsPerPercent}*max(0, loss% - {o.LossNoiseFloor * 100}) + {o.HopPenaltyMs} ms/hop");

    private static string Percent(int part, int whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", CultureInfo.InvariantCulture) + " %";
}

/// <summary>What a route table says about detours: how many pairs, how many beat the direct link, by how much.</summary>
internal sealed record RouteSummary(int Pairs, int Indirect, int PairsWithDirect, double MeanDirectMs, double MeanBestMs, int WithBackup)
{
    public static RouteSummary Of(RouteTable table, IReadOnlyDictionary<(Msdn.Graph.Topology.RoomId, Msdn.Graph.Topology.RoomId), double> direct)
    {
        int pairs = 0, indirect = 0, withDirect = 0, withBackup = 0;
        double directSum = 0, bestSum = 0;
        foreach (var route in table.Routes())
        {
            pairs++;
            indirect += route.Primary.Length > 2 ? 1 : 0;
            withBackup += route.HasBackup ? 1 : 0;
            if (direct.TryGetValue((route.From, route.To), out var d))
            {
                withDirect++;
                directSum += d;
                bestSum += route.Cost;
            }
        }

        return new RouteSummary(pairs, indirect, withDirect, withDirect == 0 ? 0 : directSum / withDirect, withDirect == 0 ? 0 : bestSum / withDirect, withBackup);
    }
}
