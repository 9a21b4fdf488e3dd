using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Client;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// Four real relays on 127.0.0.1 (QUIC or TCP + TLS, mutual TLS either way, each behind its impairment
/// layer), routed by a real route table: the primary A>B>C and the room-disjoint backup A>D>C. Relays can
/// be killed and restarted.
/// </summary>
internal sealed class RelayMesh : IAsyncDisposable
{
    public static readonly RoomId A = "room-a", B = "room-b", C = "room-c", D = "room-d";
    private readonly string _dir = Directory.CreateTempSubdirectory("relays-").FullName;
    private readonly ITestOutputHelper? _output;
    private readonly RelayNodeOptions _options;
    private readonly Func<RelayTransportOptions, IRelayTransport> _transport;

    private RelayMesh(ITestOutputHelper? output, RelayNodeOptions options, Func<RelayTransportOptions, IRelayTransport> transport)
    {
        _output = output;
        _options = options;
        _transport = transport;
    }

    /// <summary>The transport named as the relay's <c>--transport</c> option names it: quic or tcp.</summary>
    public static Func<RelayTransportOptions, IRelayTransport> Transport(string name) => name switch
    {
        "quic" => Quic,
        "tcp" => o => new TcpTlsRelayTransport(o),
        _ => throw new ArgumentException($"No transport {name} here.", nameof(name)),
    };

    private static QuicRelayTransport Quic(RelayTransportOptions options)
    {
        if (QuicAvailability.IsPlatform)
        {
            return new QuicRelayTransport(options);
        }

        throw new PlatformNotSupportedException("QUIC needs Linux, Windows or macOS.");
    }

    public Dictionary<RoomId, RelayNode> Relays { get; } = [];

    public Dictionary<RoomId, ImpairedRelayTransport> Impairments { get; } = [];

    public Dictionary<RoomId, X509Certificate2> Certificates { get; } = [];

    /// <summary>The table every relay reads (as the controller's latest); tests may publish another.</summary>
    public RouteTable Routes { get; set; } = RouteTable.Empty;

    public static async Task<RelayMesh> StartAsync(ITestOutputHelper? output, RelayNodeOptions options, string transport = "tcp")
    {
        var mesh = new RelayMesh(output, options, Transport(transport));
        RoomId[] rooms = [A, B, C, D];
        foreach (var room in rooms)
        {
            mesh.Certificates[room] = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(mesh._dir, room.Value), room.Value, TimeProvider.System);
        }

        mesh.Routes = LatencyRoutes(rooms, (A, B, 10), (B, C, 10), (A, D, 15), (D, C, 15), (A, C, 100));
        foreach (var room in rooms)
        {
            await mesh.RestartAsync(room);
        }

        return mesh;
    }

    /// <summary>The route table of a world whose links are these round trips, the same both ways, priced by latency alone.</summary>
    public static RouteTable LatencyRoutes(RoomId[] rooms, params (RoomId X, RoomId Y, double RttMs)[] links) =>
        new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create(
            rooms,
            [.. links.SelectMany(l => new[] { new Link(l.X, l.Y, LinkQuality.FromRtt(l.RttMs)), new Link(l.Y, l.X, LinkQuality.FromRtt(l.RttMs)) })]));

    /// <summary>
    /// Starts (or restarts, on a new port, as a fresh process would) the relay of <paramref name="room"/>,
    /// trusting every relay of the mesh but those in <paramref name="distrusted"/> (their fingerprints left unpinned).
    /// </summary>
    public async Task RestartAsync(RoomId room, params RoomId[] distrusted)
    {
        var pins = Certificates.Where(c => !distrusted.Contains(c.Key)).Select(c => RelayCertificates.Fingerprint(c.Value)).ToArray();
        var transport = Impairments[room] = new ImpairedRelayTransport(_transport(new RelayTransportOptions(Certificates[room], new PeerCertificatePolicy(pins, null, TimeProvider.System))));
        ILogger<RelayNode> logger = _output is null ? NullLogger<RelayNode>.Instance : new TestOutputLogger<RelayNode>(_output);
        var relay = new RelayNode(room, transport, r => Relays.TryGetValue(r, out var peer) ? peer.LocalEndPoint : null, () => Routes, TimeProvider.System, logger, _options);
        await relay.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        Relays[room] = relay;
    }

    /// <summary>The relay of <paramref name="room"/> dies: its connections break, its port goes dark.</summary>
    public async Task KillAsync(RoomId room)
    {
        if (Relays.Remove(room, out var relay))
        {
            await relay.DisposeAsync();
        }
    }

    /// <summary>Opens a one-byte flow so the two relays hold a connection (production relays keep their peer links warm).</summary>
    public async Task WarmAsync(RoomId from, RoomId to)
    {
        var warm = Relays[to].Subscribe("warm");
        var flow = await Relays[from].OpenFlowAsync(to, "warm");
        await flow.WriteAsync(new byte[] { 1 });
        flow.CompleteWriting();
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        await (await warm.ReadAsync()).ReadToEndAsync();
    }

    /// <summary>The first flow arriving at <paramref name="sink"/>, read to its end (the sender closed it).</summary>
    public static async Task<byte[]> ReceiveAsync(System.Threading.Channels.ChannelReader<IncomingFlow> sink)
    {
        var incoming = await sink.ReadAsync();
        return await incoming.ReadToEndAsync();
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "")
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        var deadline = TimeProvider.System.GetTimestamp() + (long)(limit.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetTimestamp() < deadline, $"timed out waiting for {what}");
            await timer.WaitForNextTickAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var relay in Relays.Values)
        {
            await relay.DisposeAsync();
        }

        foreach (var certificate in Certificates.Values)
        {
            certificate.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }
}
