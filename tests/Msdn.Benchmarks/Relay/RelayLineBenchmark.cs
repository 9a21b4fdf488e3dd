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
/// Shared set-up of the relay benchmarks: a line of <see cref="Hops"/> + 1 real relays on loopback over
/// <see cref="Transport"/> (QUIC or TCP + TLS, mutual TLS either way; the only route crosses every one),
/// and helpers for the plain TLS chain of the same shape that each benchmark measures against. QUIC is
/// measured where libmsquic is on the library path.
/// </summary>
public abstract class RelayLineBenchmark
{
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<X509Certificate2> _certificates = [];
    private string _dir = string.Empty;

    [Params(1, 3)]
    public int Hops { get; set; }

    [ParamsSource(nameof(Transports))]
    public string Transport { get; set; } = "tcp";

    public static IEnumerable<string> Transports() =>
        QuicAvailability.IsSupported ? ["tcp", "quic"] : ["tcp"];

    protected RelayNode[] Relays { get; private set; } = [];

    /// <summary>The line's first relay (where flows enter) and its last (where they leave).</summary>
    internal (RelayNode First, RelayNode Last) Ends => (Relays[0], Relays[^1]);

    protected X509Certificate2[] Certificates => [.. _certificates];

    private protected PeerCertificatePolicy Trust { get; private set; } = null!;

    /// <summary>Each benchmark's [GlobalCleanup] calls this (BenchmarkDotNet allows one per class, base included).</summary>
    protected void StopRelays()
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

    protected async Task StartRelaysAsync()
    {
        _dir = Directory.CreateTempSubdirectory("relay-bench-").FullName;
        var rooms = Enumerable.Range(0, Hops + 1).Select(i => new RoomId($"room-{i}")).ToArray();
        _certificates.AddRange(rooms.Select(r => RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, r.Value), r.Value, TimeProvider.System)));
        Trust = new PeerCertificatePolicy(_certificates.Select(RelayCertificates.Fingerprint), null, TimeProvider.System);
        var links = Enumerable.Range(0, Hops).SelectMany(i => new[] { new Link(rooms[i], rooms[i + 1], LinkQuality.FromRtt(1)), new Link(rooms[i + 1], rooms[i], LinkQuality.FromRtt(1)) });
        var routes = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create(rooms, links));
        var relays = new RelayNode[rooms.Length];
        for (var i = 0; i < rooms.Length; i++)
        {
            relays[i] = new RelayNode(rooms[i], NewTransport(i), r => Array.Find(relays, x => x?.Room == r)?.LocalEndPoint, () => routes, TimeProvider.System, NullLogger<RelayNode>.Instance);
            await relays[i].StartAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
            _cleanup.Add(relays[i]);
        }

        Relays = relays;
    }

    /// <summary>The <see cref="Transport"/> of relay <paramref name="index"/>, with its certificate.</summary>
    internal IRelayTransport NewTransport(int index)
    {
        var options = new RelayTransportOptions(_certificates[index], Trust);
        return Transport == "quic" && QuicAvailability.IsSupported ? new QuicRelayTransport(options) : new TcpTlsRelayTransport(options);
    }

    /// <summary>A TLS listener for one hop of the plain chain; <paramref name="serve"/> runs on its one connection.</summary>
    protected EndPoint ListenTls(X509Certificate2 certificate, Func<SslStream, Task> serve)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            var socket = await listener.AcceptTcpClientAsync();
            socket.NoDelay = true;
            var tls = new SslStream(socket.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = SslProtocols.Tls13 });
            await serve(tls);
        });
        _cleanup.Add(new Stopper(listener));
        return listener.LocalEndpoint;
    }

    protected async Task<Stream> ConnectTlsAsync(EndPoint endpoint)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync((IPEndPoint)endpoint);
        var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "msdn-relay", EnabledSslProtocols = SslProtocols.Tls13, RemoteCertificateValidationCallback = Trust.Validate });
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
