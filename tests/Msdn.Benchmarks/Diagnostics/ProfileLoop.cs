using System.Diagnostics;
using Msdn.Benchmarks.Relay;

namespace Msdn.Benchmarks.Diagnostics;

/// <summary>
/// <c>profile [hops] [tcp|quic] [seconds] [relay|chain|mux|engines]</c>: runs the relay throughput benchmark's flow (or its TLS
/// copy-loop chain, one stream of the relays' transport alone over one hop, or a media engine's flow through the client ports) back to back for a while and prints the rate, for a profiler to watch, e.g.
/// <c>DOTNET_PerfMapEnabled=1 perf record -F 999 -g -p PID</c> once it says it is running.
/// </summary>
internal static class ProfileLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20;
        var what = args.Length > 4 ? args[4] : "relay";
        var benchmark = RelayThroughputBenchmark.SetUpFor(args);
        await using var mux = what == "mux" ? await MuxLine.StartAsync(benchmark.NewTransport(0)) : null;
        await using var engines = what == "engines" ? await EngineLine.StartAsync(benchmark.Ends.First, benchmark.Ends.Last) : null;
        Func<Task> run = what switch
        {
            "chain" => benchmark.TlsCopyLoopChain,
            "mux" => mux!.MoveAsync,
            "engines" => engines!.MoveAsync,
            _ => benchmark.RelayFlow,
        };
        await run();
        Console.WriteLine($"running {what switch { "chain" => "the TLS copy-loop chain", "mux" => "one stream of the relays' transport", "engines" => "media engines' flows through the client ports", _ => "relay flows" }}, {benchmark.Hops} hop(s) over {benchmark.Transport}, for {seconds} s in process {Environment.ProcessId}");
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var workItemsAtStart = ThreadPool.CompletedWorkItemCount;
        var clock = Stopwatch.StartNew();
        var runs = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await run();
            runs++;
        }

        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds;
        Console.WriteLine($"{runs * 64 / clock.Elapsed.TotalSeconds:F0} MiB/s over {runs} runs of 64 MiB; {cpu / clock.Elapsed.TotalSeconds:F2} cores busy, {cpu / (runs / 16.0):F2} CPU-s per GiB, {(ThreadPool.CompletedWorkItemCount - workItemsAtStart) / (runs * 64.0):F0} thread-pool work items per MiB");
        benchmark.Cleanup();
        return 0;
    }
}
