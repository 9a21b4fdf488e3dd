using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Msdn.Benchmarks.Relay;

/// <summary>
/// One flow's throughput across 1 and 3 relay hops, against the ceiling of the same shape on this
/// machine: a chain of plain TLS copy loops (each hop decrypts and re-encrypts, all on the same 2 cores).
/// 64 MiB per operation; throughput = 64 MiB / mean. Every relay and the chain run in the benchmark's
/// process, so its CPU time per iteration is the line's cost: printed at the end as CPU seconds per GiB
/// moved end to end (look for "// CPU" in the log). Warmed up with 40 operations: a relay's per-flow code runs once per
/// flow, so tiered compilation optimizes it only after some 30 flows; fewer measure a relay still starting up, not one
/// that has run for a while (the chain, one loop per hop, is optimized within its first operation).
/// </summary>
[MemoryDiagnoser]
[WarmupCount(40)]
[IterationCount(8)]
[InvocationCount(1)]
public class RelayThroughputBenchmark : RelayLineBenchmark
{
    private const int Bytes = 64 * 1024 * 1024;
    private const int WriteSize = 256 * 1024;
    private readonly byte[] _block = new byte[WriteSize];
    private ChannelReader<Msdn.Client.IncomingFlow> _sink = null!;
    private Stream _chainHead = null!;
    private long _chainReceived;

    /// <summary>Completed by the chain's last hop once it has counted what the current operation sent (waited on, not polled: a polling loop would take a core from the chain it measures).</summary>
    private volatile ChainTarget? _chainTarget;
    private TimeSpan _cpuAtStart;
    private TimeSpan _cpu;
    private long _moved;
    private string _measured = "nothing";

    /// <summary>The benchmark for a diagnostic command's <c>[hops] [tcp|quic]</c> (arguments 1 and 2; 1 hop over TCP when absent), set up.</summary>
    internal static RelayThroughputBenchmark SetUpFor(string[] args)
    {
        var benchmark = new RelayThroughputBenchmark
        {
            Hops = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1,
            Transport = args.Length > 2 ? args[2] : "tcp",
        };
        benchmark.Setup();
        return benchmark;
    }

    [IterationSetup]
    public void StartCpuClock() => _cpuAtStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    [IterationCleanup]
    public void StopCpuClock()
    {
        _cpu += System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        _moved += Bytes;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// CPU {_measured}, {Hops} hop(s): {_cpu.TotalSeconds / (_moved / (1024.0 * 1024 * 1024)):F2} s per GiB over {_moved / (1024.0 * 1024 * 1024):F1} GiB (all hops, both ends, this process)");
        StopRelays();
    }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public async Task TlsCopyLoopChain()
    {
        _measured = "TLS copy-loop chain";
        var target = new ChainTarget(Interlocked.Read(ref _chainReceived) + Bytes);
        _chainTarget = target;
        for (var sent = 0; sent < Bytes; sent += WriteSize)
        {
            await _chainHead.WriteAsync(_block);
        }

        await _chainHead.FlushAsync();
        target.CheckReached(Interlocked.Read(ref _chainReceived));
        await target.Reached.Task;
    }

    [Benchmark]
    public async Task RelayFlow()
    {
        _measured = $"relay flow over {Transport}";
        var flow = await Relays[0].OpenFlowAsync(Relays[^1].Room, "sink");
        var receiving = Task.Run(async () => await ReadAsync(await _sink.ReadAsync(), Bytes));
        for (var sent = 0; sent < Bytes; sent += WriteSize)
        {
            await flow.WriteAsync(_block);
        }

        flow.CompleteWriting();
        await flow.Completion;
        await receiving;
    }

    /// <summary>Reads <paramref name="bytes"/> of <paramref name="incoming"/>, giving each chunk back as a subscriber that has used it does.</summary>
    internal static async Task ReadAsync(Msdn.Client.IncomingFlow incoming, long bytes)
    {
        long received = 0;
        while (received < bytes)
        {
            var chunk = await incoming.Data.ReadAsync();
            received += chunk.Length;
            Msdn.Client.IncomingFlow.Recycle(chunk);
        }
    }

    private async Task SetupAsync()
    {
        await StartRelaysAsync();
        _sink = Relays[^1].Subscribe("sink");

        // The ceiling: TLS client → (TLS server copying into a TLS client) × (hops − 1) → TLS server counting bytes.
        var next = ListenTls(Certificates[Hops], async tls =>
        {
            var buffer = new byte[WriteSize];
            int n;
            while ((n = await tls.ReadAsync(buffer)) > 0)
            {
                var received = Interlocked.Add(ref _chainReceived, n);
                _chainTarget?.CheckReached(received);
            }
        });
        for (var i = Hops - 1; i >= 1; i--)
        {
            var downstream = next;
            next = ListenTls(Certificates[i], async tls =>
            {
                var onward = await ConnectTlsAsync(downstream);
                await tls.CopyToAsync(onward, WriteSize);
            });
        }

        _chainHead = await ConnectTlsAsync(next);
    }

    private sealed class ChainTarget(long bytes)
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void CheckReached(long received)
        {
            if (received >= bytes)
            {
                Reached.TrySetResult();
            }
        }
    }
}
