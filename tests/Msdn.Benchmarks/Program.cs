using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Msdn.Benchmarks -- --filter '*FullTable*'
if (args.Length > 0 && args[0] == "scratch") { Msdn.Benchmarks.Scratch.Run(); return; }
if (args.Length > 0 && args[0] == "scratch") { Msdn.Benchmarks.Scratch.Run(); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
