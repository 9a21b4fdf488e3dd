using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Msdn.Benchmarks -- --filter '*FullTable*'
BenchmarkSwitcher.FromAssembly(typeof(Msdn.Benchmarks.Routing.FullTableBenchmark).Assembly).Run(args);
