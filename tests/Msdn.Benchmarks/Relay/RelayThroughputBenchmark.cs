using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;

namespace Msdn.Benchmarks.Relay;

/// <summary>
/// One flow's throughput across 1 and 3 relay hops (real relays, TCP + mutual TLS on loopback), against the
/// ceiling of the same shape on this machine: a chain of plain TLS copy loops (each hop decrypts and
/// re-encrypts, all on the same 2 cores). 64 MiB per operation; throughput = 64 MiB / mean.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(8)]
[InvocationCount(1)]
public class RelayThroughputBenchmark
{
    private const int Bytes = 64 * 1024 * 1024;
    private const int WriteSize = 256 * 1024;
    private readonly byte[] _block = new byte[WriteSize];
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<X509Certificate2> _certificates = [];
    private RelayNode[] _relays = [];
    private ChannelReader<byte[]> _sink = null!;
    private Stream _chainHead = null!;
    private Func<long> _chainReceived = null!;
    private string _dir = string.Empty;
    private PeerCertificatePolicy _trust = null!;

    [Params(1, 3)]
    public int Hops { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public async Task TlsCopyLoopChain()
    {
        var target = _chainReceived() + Bytes;
        for (var sent = 0; sent < Bytes; sent += WriteSize)
        {
            await _chainHead.WriteAsync(_block);
        }

        await _chainHead.FlushAsync();
        while (_chainReceived() < target)
        {
            await Task.Yield();
        }
    }

    [Benchmark]
    public async Task RelayFlow()
    {
        var flow = await _relays[0].OpenFlowAsync(_relays[^1].Room, "sink");
        var receiving = Task.Run(async () =>
        {
            long received = 0;
            while (received < Bytes)
            {
                received += (await _sink.ReadAsync()).Length;
            }
        });
        for (var sent = 0; sent < Bytes; sent += WriteSize)
        {
            await flow.WriteAsync(_block);
        }

        flow.CompleteWriting();
        await flow.Completion;
        await receiving;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            item.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private async Task SetupAsync()
    {
        _dir = Directory.CreateTempSubdirectory("relay-bench-").FullName;
        var rooms = Enumerable.Range(0, Hops + 1).Select(i => new RoomId($"room-{i}")).ToArray();
        var certificates = rooms.Select(r => RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, r.Value), r.Value, TimeProvider.System)).ToArray();
        _certificates.AddRange(certificates);
        var pins = certificates.Select(RelayCertificates.Fingerprint).ToArray();

        // A line of rooms: the only route from the first to the last crosses every relay.
        var links = Enumerable.Range(0, Hops).SelectMany(i => new[] { new Link(rooms[i], rooms[i + 1], LinkQuality.FromRtt(1)), new Link(rooms[i + 1], rooms[i], LinkQuality.FromRtt(1)) });
        var routes = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create(rooms, links));
        _relays = new RelayNode[rooms.Length];
        for (var i = 0; i < rooms.Length; i++)
        {
            var transport = new TcpTlsRelayTransport(new RelayTransportOptions(certificates[i], new PeerCertificatePolicy(pins, null, TimeProvider.System)));
            var relays = _relays;
            _relays[i] = new RelayNode(rooms[i], transport, r => Array.Find(relays, x => x?.Room == r)?.LocalEndPoint, () => routes, TimeProvider.System, NullLogger<RelayNode>.Instance);
            await _relays[i].StartAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
            _cleanup.Add(_relays[i]);
        }

        _sink = _relays[^1].Subscribe("sink");
        _trust = new PeerCertificatePolicy(pins, null, TimeProvider.System);
        await BuildCopyChainAsync(certificates);
    }

    /// <summary>The ceiling: TLS client → (TLS server copying into a TLS client) × (hops − 1) → TLS server counting bytes.</summary>
    private async Task BuildCopyChainAsync(X509Certificate2[] certificates)
    {
        long received = 0;
        _chainReceived = () => Interlocked.Read(ref received);
        EndPoint? next = null;
        for (var i = Hops; i >= 1; i--)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var downstream = next;
            var certificate = certificates[i];
            _ = Task.Run(async () =>
            {
                var socket = await listener.AcceptTcpClientAsync();
                var tls = new SslStream(socket.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = SslProtocols.Tls13 });
                var buffer = new byte[WriteSize];
                if (downstream is null)
                {
                    int n;
                    while ((n = await tls.ReadAsync(buffer)) > 0)
                    {
                        Interlocked.Add(ref received, n);
                    }

                    return;
                }

                var onward = await ConnectTlsAsync(downstream);
                int m;
                while ((m = await tls.ReadAsync(buffer)) > 0)
                {
                    await onward.WriteAsync(buffer.AsMemory(0, m));
                }
            });
            _cleanup.Add(new Stopper(listener));
            next = listener.LocalEndpoint;
        }

        _chainHead = await ConnectTlsAsync(next!);
    }

    private async Task<Stream> ConnectTlsAsync(EndPoint endpoint)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync((IPEndPoint)endpoint);
        var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "msdn-relay", EnabledSslProtocols = SslProtocols.Tls13, RemoteCertificateValidationCallback = _trust.Validate });
        return tls;
    }

    private sealed class Stopper(TcpListener listener) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            listener.Stop();
            listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
