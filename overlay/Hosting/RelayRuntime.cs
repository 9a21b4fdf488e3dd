using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Msdn.Graph.Topology;
using Msdn.Overlay.Client;
using Msdn.Overlay.Control;
using Msdn.Overlay.Gateway;
using Msdn.Overlay.Relay;
using Msdn.Probe.Agent;
using Msdn.Probe.Transport;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The running relay as operators (the admin endpoint) and tests see it, over its parts; started last, it
/// says the relay is up once every part has started (the line a supervisor waits for: "listening on").
/// </summary>
public sealed partial class RelayRuntime(RelayNodeService relay, RelayProbeService probe, RelayFrontDoors doors, ControllerLinkService control, ILogger<RelayRuntime> logger) : IHostedService
{
    public RelayNode? Node => relay.Node;

    public RouteTableStore? Routes => relay.Routes;

    /// <summary>Peers this relay knows, configured or from the controller's directory.</summary>
    public int KnownPeers => relay.PeerDirectory?.Peers.Count ?? 0;

    /// <summary>Where each relay of a peer room is reached, as this relay knows them.</summary>
    public IReadOnlyList<EndPoint> PeerNodes(RoomId peer) => relay.PeerDirectory?.ResolveAll(peer) ?? [];

    public ProbeAgent? Probe => probe.Probe;

    public ClientPort? Clients => doors.Clients;

    public TcpGateway? Gateway => doors.Gateway;

    public ControllerClient? Controller => control.Controller;

    /// <summary>The SHA-256 of the relay's certificate, for peers to pin.</summary>
    public string? Fingerprint => relay.Fingerprint;

    /// <summary>The certificate the relay presents now.</summary>
    public Security.RelayIdentity? Identity => relay.Identity;

    /// <summary>The transport the relay runs (quic or tcp+tls), once started.</summary>
    public string? Transport => relay.Transport;

    /// <summary>Peer connections the relay's listener refused at the handshake.</summary>
    public long PeersRefused => Node?.PeersRefused ?? 0;

    /// <summary>The relay's load as its last report measured it.</summary>
    public Load.RelayLoadMeter? Load => relay.Load;

    /// <summary>
    /// Impairs the link from this relay to <paramref name="peer"/>, for drills: both its relay streams
    /// (cut, delay, jitter) and its probes (also loss), so the probe agent sees what flows see.
    /// </summary>
    /// <exception cref="UnknownRoomException">The room is not one of this relay's peers.</exception>
    public void Impair(RoomId peer, LinkImpairment impairment)
    {
        if (relay.Impairment is not { } impaired || Node is not { } node)
        {
            throw new InvalidOperationException("The relay is not started.");
        }

        var endpoints = relay.PeerDirectory.ResolveAll(peer);
        if (endpoints.Count == 0)
        {
            throw new UnknownRoomException(peer);
        }

        foreach (var endpoint in endpoints)
        {
            impaired.Impair(endpoint, impairment); // the link to the room is the link to each of its relays
        }

        probe.Impair(peer, impairment);
        Log.Impaired(logger, node.Room, peer, impairment.ToString());
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var node = Node ?? throw new InvalidOperationException("The relay's node did not start.");
        var probes = Probe?.LocalEndPoint.ToString() ?? "off";
        Log.Started(logger, node.Room, node.LocalEndPoint, Transport!, probes, Fingerprint!, Routes!.Current.Version);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Relay {Room} listening on {Endpoint} over {Transport}, probes on {ProbeEndpoint} (UDP); certificate SHA-256 {Fingerprint}; route table version {Version}")]
        public static partial void Started(ILogger logger, RoomId room, EndPoint endpoint, string transport, string probeEndpoint, string fingerprint, long version);

        [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Relay {Room}: link to {Peer} impaired: {Impairment}")]
        public static partial void Impaired(ILogger logger, RoomId room, RoomId peer, string impairment);
    }
}
