using System.Net;
using System.Security.Cryptography.X509Certificates;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// Rooms of several real relays on 127.0.0.1: A (one relay) > B (two) > C (two) > D (two) is the primary,
/// A > D the backup. Every relay knows every relay of each peer room, a killed one included (a directory lags
/// behind a death), and picks among them by the product's own choice.
/// </summary>
internal sealed class RoomNodes : IAsyncDisposable
{
    public static readonly RoomId A = "room-a", B = "room-b", C = "room-c", D = "room-d";
    private readonly string _dir = Directory.CreateTempSubdirectory("room-nodes-").FullName;
    private readonly List<X509Certificate2> _certificates = [];

    /// <summary>Each room's relays, in start order; a killed one stays listed (its endpoint too) but is disposed.</summary>
    public Dictionary<RoomId, List<RelayNode>> Rooms { get; } = [];

    private readonly HashSet<RelayNode> _killed = [];
    private string _transport = "tcp";
    private string[] _pins = [];

    public RouteTable Routes { get; private set; } = RouteTable.Empty;

    public static async Task<RoomNodes> StartAsync(ITestOutputHelper output, RelayNodeOptions options, string transport)
    {
        var nodes = new RoomNodes();
        (RoomId Room, int Count)[] layout = [(A, 1), (B, 2), (C, 2), (D, 2)];
        var identities = new List<(RoomId Room, X509Certificate2 Certificate)>();
        foreach (var (room, count) in layout)
        {
            for (var i = 0; i < count; i++)
            {
                // Each relay its own key; the certificate names its room (peers check the room, not which of its relays).
                var certificate = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(nodes._dir, $"{room.Value}-{i}"), room.Value, TimeProvider.System);
                nodes._certificates.Add(certificate);
                identities.Add((room, certificate));
            }
        }

        var pins = identities.Select(i => RelayCertificates.Fingerprint(i.Certificate)).ToArray();
        nodes._transport = transport;
        nodes._pins = pins;
        nodes.Routes = RelayMesh.LatencyRoutes([A, B, C, D], (A, B, 10), (B, C, 10), (C, D, 10), (A, D, 100));
        foreach (var (room, certificate) in identities)
        {
            var relay = new RelayNode(
                room,
                RelayMesh.Transport(transport)(new RelayTransportOptions(certificate, new PeerCertificatePolicy(pins, null, TimeProvider.System))),
                peer => nodes.Endpoints(peer),
                () => nodes.Routes,
                TimeProvider.System,
                new TestOutputLogger<RelayNode>(output),
                options);
            await relay.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
            (nodes.Rooms.TryGetValue(room, out var list) ? list : nodes.Rooms[room] = []).Add(relay);
        }

        return nodes;
    }

    /// <summary>Where a room's relays listen, as every relay's directory lists them.</summary>
    public IReadOnlyList<EndPoint> Endpoints(RoomId room) => Rooms.TryGetValue(room, out var relays) ? [.. relays.Select(r => r.LocalEndPoint)] : [];

    /// <summary>The relay of <paramref name="room"/> the product's choice gives <paramref name="key"/> (an endpoint, or "source/flow").</summary>
    public RelayNode ChosenFor(RoomId room, string key) =>
        NodeChoice.Order(key, Rooms[room].Where(r => !_killed.Contains(r)), r => r.NodeName)[0];

    /// <summary>The one relay of <paramref name="room"/> carrying flows now (asserts there is exactly one).</summary>
    public RelayNode Carrying(RoomId room) => Assert.Single(Rooms[room], r => !_killed.Contains(r) && r.ActiveFlows > 0);

    /// <summary>A stream to <paramref name="relay"/> as a trusted peer would open one (room A's first relay's certificate): for bad input.</summary>
    public async Task<(IRelayConnection Connection, Stream Stream)> DialAsync(RelayNode relay)
    {
        var transport = RelayMesh.Transport(_transport)(new RelayTransportOptions(_certificates[0], new PeerCertificatePolicy(_pins, null, TimeProvider.System)));
        var connection = await transport.ConnectAsync(relay.LocalEndPoint, default);
        return (connection, await connection.OpenStreamAsync(default));
    }

    public async Task KillAsync(RelayNode relay)
    {
        _killed.Add(relay);
        await relay.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var relay in Rooms.Values.SelectMany(r => r).Where(r => !_killed.Contains(r)))
        {
            await relay.DisposeAsync();
        }

        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }
}
