using Msdn.Benchmarks.Relay;

namespace Msdn.Benchmarks.Diagnostics;

/// <summary>
/// <c>allocations [hops] [tcp|quic] [relay|engines]</c>: runs the relay throughput benchmark's flow (64 MiB a run), or
/// a media engine's flow through the client ports (<see cref="EngineLine"/>), under the <see cref="AllocationSampler"/>
/// and prints what allocated, by type, per 64 MiB moved.
/// </summary>
internal static class AllocationReport
{
    public static async Task<int> RunAsync(string[] args)
    {
        var benchmark = RelayThroughputBenchmark.SetUpFor(args);
        var what = args.Length > 3 ? args[3] : "relay";
        await using var engines = what == "engines" ? await EngineLine.StartAsync(benchmark.Ends.First, benchmark.Ends.Last) : null;
        Func<Task> run = engines is null ? benchmark.RelayFlow : engines.MoveAsync;
        const int Warmups = 2;
        const int Runs = 8;
        for (var i = 0; i < Warmups; i++)
        {
            await run();
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        using (var sampler = new AllocationSampler())
        {
            for (var i = 0; i < Runs; i++)
            {
                await run();
            }

            var total = GC.GetTotalAllocatedBytes(precise: true) - before;
            Console.WriteLine($"{(engines is null ? "relay flow" : "media engines' flow")}, {benchmark.Hops} hop(s) over {benchmark.Transport}: {total / Runs / 1024.0:F0} KiB allocated per 64 MiB moved ({100.0 * total / Runs / (64 * 1024 * 1024):F2} %); sampled by type, per 64 MiB:");
            foreach (var (type, bytes) in sampler.Top(25))
            {
                Console.WriteLine($"  {bytes / Runs / 1024.0,8:F0} KiB  {type}{Owners(type)}");
            }
        }

        benchmark.Cleanup();
        return 0;
    }

    /// <summary>For a compiler-generated closure or state machine, the project types that declare one of that name (the event names only the nested type).</summary>
    private static string Owners(string type)
    {
        if (!type.StartsWith('<'))
        {
            return string.Empty;
        }

        var owners = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name?.StartsWith("Msdn", StringComparison.Ordinal) == true || a.GetName().Name?.StartsWith("msdn", StringComparison.Ordinal) == true)
            .SelectMany(a => a.GetTypes())
            .Where(t => t.Name == type && t.DeclaringType is not null)
            .Select(t => t.DeclaringType!.Name)
            .Distinct()
            .ToList();
        return owners.Count > 0 ? $"  (in {string.Join(", ", owners)})" : string.Empty;
    }
}
