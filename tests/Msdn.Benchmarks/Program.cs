using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Msdn.Benchmarks -- --filter '*FullTable*'
// dotnet run -c Release --project tests/Msdn.Benchmarks -- allocations [hops] [tcp|quic] [relay|engines]   (what the relay's data plane allocates, by type)
if (args is ["allocations", ..])
{
    return await Msdn.Benchmarks.Diagnostics.AllocationReport.RunAsync(args);
}

// dotnet run -c Release --project tests/Msdn.Benchmarks -- profile [hops] [tcp|quic] [seconds] [relay|chain|mux|engines]   (a loop for a profiler to watch)
if (args is ["profile", ..])
{
    return await Msdn.Benchmarks.Diagnostics.ProfileLoop.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Msdn.Benchmarks.Routing.FullTableBenchmark).Assembly).Run(args);
return 0;
