using System.Diagnostics;
using Msdn.Benchmarks.Relay;

namespace Msdn.Benchmarks.Diagnostics;

/// <summary>
/// <c>profile [hops] [tcp|quic] [seconds] [relay|chain]</c>: runs the relay throughput benchmark's flow (or its TLS
/// copy-loop chain) back to back for a while and prints the rate, for a profiler to watch, e.g.
/// <c>DOTNET_PerfMapEnabled=1 perf record -F 999 -g -p PID</c> once it says it is running.
/// </summary>
internal static class ProfileLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20;
        var chain = args.Length > 4 && args[4] == "chain";
        var benchmark = RelayThroughputBenchmark.SetUpFor(args);
        Func<Task> run = chain ? benchmark.TlsCopyLoopChain : benchmark.RelayFlow;
        await run();
        Console.WriteLine($"running {(chain ? "the TLS copy-loop chain" : "relay flows")}, {benchmark.Hops} hop(s) over {benchmark.Transport}, for {seconds} s in process {Environment.ProcessId}");
        var clock = Stopwatch.StartNew();
        var runs = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await run();
            runs++;
        }

        Console.WriteLine($"{runs * 64 / clock.Elapsed.TotalSeconds:F0} MiB/s over {runs} runs of 64 MiB");
        benchmark.Cleanup();
        return 0;
    }
}
