using BenchmarkDotNet.Attributes;
using Msdn.Overlay.Relay;

namespace Msdn.Benchmarks.Relay;

/// <summary>
/// Round trip of a 1 KiB message across 1 and 3 relay hops: written at the ingress, delivered at the
/// egress, acknowledged back (a flush). Against a chain of TLS copy loops of the same shape whose last
/// hop echoes. The difference over the hop count is the relay's added latency per hop.
/// </summary>
[WarmupCount(3)]
[IterationCount(15)]
public class RelayLatencyBenchmark : RelayLineBenchmark
{
    private readonly byte[] _message = new byte[1024];
    private readonly byte[] _echo = new byte[1024];
    private RelayFlow _flow = null!;
    private Stream _chainHead = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => StopRelays();

    [Benchmark(Baseline = true)]
    public async Task TlsCopyLoopEcho()
    {
        await _chainHead.WriteAsync(_message);
        await _chainHead.FlushAsync();
        await _chainHead.ReadExactlyAsync(_echo);
    }

    [Benchmark]
    public async Task RelayRoundTrip()
    {
        await _flow.WriteAsync(_message);
        await _flow.FlushAsync();
    }

    private async Task SetupAsync()
    {
        await StartRelaysAsync();
        var sink = Relays[^1].Subscribe("sink");
        _ = Task.Run(async () =>
        {
            var incoming = await sink.ReadAsync();
            await foreach (var _ in incoming.Data.ReadAllAsync())
            {
            }
        });
        _flow = await Relays[0].OpenFlowAsync(Relays[^1].Room, "sink");
        await _flow.WriteAsync(_message);
        await _flow.FlushAsync();

        // TLS client → (TLS server pumping both ways to a TLS client) × (hops − 1) → TLS server echoing.
        var next = ListenTls(Certificates[Hops], tls => PumpAsync(tls, tls));
        for (var i = Hops - 1; i >= 1; i--)
        {
            var downstream = next;
            next = ListenTls(Certificates[i], async tls =>
            {
                var onward = await ConnectTlsAsync(downstream);
                await Task.WhenAll(PumpAsync(tls, onward), PumpAsync(onward, tls));
            });
        }

        _chainHead = await ConnectTlsAsync(next);
    }

    private static async Task PumpAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n));
            await to.FlushAsync();
        }
    }
}
