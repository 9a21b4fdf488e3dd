using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;

namespace Msdn.Benchmarks.Relay;

/// <summary>
/// Round trip of a 1 KiB message across 1 and 3 relay hops: written at the ingress, delivered at the
/// egress, acknowledged back (a flush). Against a chain of TLS copy loops of the same shape whose last
/// hop echoes. The difference over the hop count is the relay's added latency per hop.
/// </summary>
[WarmupCount(3)]
[IterationCount(15)]
public class RelayLatencyBenchmark
{
    private readonly byte[] _message = new byte[1024];
    private readonly byte[] _echo = new byte[1024];
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<X509Certificate2> _certificates = [];
    private RelayFlow _flow = null!;
    private Stream _chainHead = null!;
    private PeerCertificatePolicy _trust = null!;
    private string _dir = string.Empty;

    [Params(1, 3)]
    public int Hops { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

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
        _dir = Directory.CreateTempSubdirectory("relay-latency-").FullName;
        var rooms = Enumerable.Range(0, Hops + 1).Select(i => new RoomId($"room-{i}")).ToArray();
        var certificates = rooms.Select(r => RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, r.Value), r.Value, TimeProvider.System)).ToArray();
        _certificates.AddRange(certificates);
        var pins = certificates.Select(RelayCertificates.Fingerprint).ToArray();
        _trust = new PeerCertificatePolicy(pins, null, TimeProvider.System);
        var links = Enumerable.Range(0, Hops).SelectMany(i => new[] { new Link(rooms[i], rooms[i + 1], LinkQuality.FromRtt(1)), new Link(rooms[i + 1], rooms[i], LinkQuality.FromRtt(1)) });
        var routes = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create(rooms, links));
        var relays = new RelayNode[rooms.Length];
        for (var i = 0; i < rooms.Length; i++)
        {
            var transport = new TcpTlsRelayTransport(new RelayTransportOptions(certificates[i], _trust));
            relays[i] = new RelayNode(rooms[i], transport, r => Array.Find(relays, x => x?.Room == r)?.LocalEndPoint, () => routes, TimeProvider.System, NullLogger<RelayNode>.Instance);
            await relays[i].StartAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
            _cleanup.Add(relays[i]);
        }

        var sink = relays[^1].Subscribe("sink");
        _ = Task.Run(async () =>
        {
            await foreach (var _ in sink.ReadAllAsync())
            {
            }
        });
        _flow = await relays[0].OpenFlowAsync(rooms[^1], "sink");
        await _flow.WriteAsync(_message);
        await _flow.FlushAsync();
        _chainHead = await BuildEchoChainAsync(certificates);
    }

    /// <summary>TLS client → (TLS server pumping both ways to a TLS client) × (hops − 1) → TLS server echoing.</summary>
    private async Task<Stream> BuildEchoChainAsync(X509Certificate2[] certificates)
    {
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
                socket.NoDelay = true;
                var tls = new SslStream(socket.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = SslProtocols.Tls13 });
                if (downstream is null)
                {
                    await PumpAsync(tls, tls); // the far end echoes
                    return;
                }

                var onward = await ConnectTlsAsync(downstream);
                await Task.WhenAll(PumpAsync(tls, onward), PumpAsync(onward, tls));
            });
            _cleanup.Add(new Stopper(listener));
            next = listener.LocalEndpoint;
        }

        return await ConnectTlsAsync(next!);
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
