using Msdn.Fuzz;
using SharpFuzz;

// afl-fuzz starts this once per run (scripts/fuzz): `dotnet Msdn.Fuzz.dll <target>`; inputs then arrive
// through SharpFuzz's shared memory, many per process. `seed <corpus dir> <scenarios dir>` writes the seeds.
if (args is ["seed", var corpus, var scenarios])
{
    CorpusSeeds.Write(corpus, scenarios);
    return 0;
}

if (args.Length != 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Msdn.Fuzz <target> | seed <corpus dir> <scenarios dir>; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.ToArray());
});
return 0;
