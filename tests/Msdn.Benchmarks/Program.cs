using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Msdn.Benchmarks -- --filter '*Routing*'
if (args.Length > 0 && args[0] == "probe") { Msdn.Benchmarks.Probe.Run(); return; }
if (args.Length > 0 && args[0] == "probe2") { Msdn.Benchmarks.Probe2.Run(); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
