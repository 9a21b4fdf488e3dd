using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Transport;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The probe agent beside the relay (UDP, the relay's port + 1: <see cref="ProbePort"/>), when a cluster key
/// is configured: it probes the relay's peers, and its down signals fail flows over at once.
/// </summary>
public sealed partial class RelayProbeService(RelayNodeService relay, IOptions<RelayOptions> options, IOptions<ProbeAgentOptions> probeOptions, TimeProvider time, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<RelayProbeService>();
    private ImpairedProbeSocket? _socket;
    private IDisposable? _following;
    private Action? _stopFollowing;

    /// <summary>The running agent; null when the relay runs without probing.</summary>
    public ProbeAgent? Probe { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var node = relay.Node ?? throw new InvalidOperationException("The relay's node starts before its probe agent.");
        var probe = probeOptions.Value;
        if (string.IsNullOrEmpty(probe.ClusterKey))
        {
            Log.NoProbe(_logger, node.Room);
            return Task.CompletedTask;
        }

        var validation = new ProbeAgentOptionsValidator().Validate(null, probe);
        if (validation.Failed)
        {
            throw new OptionsValidationException(ProbeAgentOptions.SectionName, typeof(ProbeAgentOptions), validation.Failures);
        }

        var listen = IPEndPoint.Parse(options.Value.Listen);
        var bound = (IPEndPoint)node.LocalEndPoint;
        UdpProbeSocket socket;
        try
        {
            socket = new UdpProbeSocket(ProbePort.Bind(listen, bound));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new RelayStartException("Relay:Listen (--listen; probes take UDP port + 1)", ProbePort.Of(bound).ToString() ?? string.Empty, e);
        }

        _socket = new ImpairedProbeSocket(socket, time, seed: Environment.ProcessId);
        Probe = new ProbeAgent(probe, _socket, time, loggers.CreateLogger<ProbeAgent>(), reports: null, seed: Environment.ProcessId);
        Probe.Start();
        node.Metrics.ObserveProbe(() => Probe);
        var configured = probe.Peers.Select(p => new ProbePeer(new RoomId(p.Room), EndpointParser.TryParse(p.Endpoint, out var e) ? ProbePort.Of(e) : throw new InvalidOperationException($"Probe peer {p.Room} has no valid endpoint."))).ToList();
        var agent = Probe;
        var directory = relay.PeerDirectory;
        var targets = new ProbeTargets(() => node.NodeName, time);
        void ProbeKnownPeers()
        {
            // Configured probe peers, then the peers the directory knows that this relay measures for its room (at
            // the relay port + 1), a room of several at one of its relays.
            var named = configured.Select(p => p.Room).ToHashSet();
            var share = new ProbeShare(node.NodeName, directory.OwnRoomRelays(), peer => node.NextHops.Count(peer) > 0);
            agent.SetPeers([.. configured, .. directory.Peers.Where(r => !named.Contains(r) && share.Measures(r)).Select(r => targets.Choose(r, directory.ProbeEndpointsOf(r)) is { } endpoint ? new ProbePeer(r, endpoint) : null).OfType<ProbePeer>()]);
        }

        void NextHopChanged(RoomId peer, bool carrying)
        {
            // A peer this relay does not measure for its room is measured while flows use it as their next hop:
            // its down signal must reach them within a second.
            if (directory.OwnRoomRelays().Count > 1)
            {
                ProbeKnownPeers();
                agent.SetActive(peer, carrying && node.NextHops.Count(peer) > 0);
            }
        }

        ProbeKnownPeers();
        directory.Changed += ProbeKnownPeers;
        node.NextHops.Changed += NextHopChanged;
        var retargeting = agent.Subscribe(change =>
        {
            if (change.State == Msdn.Probe.Detection.LinkState.Down && change.From == node.Room && targets.Failed(change.To, directory.ProbeEndpointsOf(change.To).Count))
            {
                Log.Retargeted(_logger, node.Room, change.To);
                ProbeKnownPeers(); // the link comes back up on the sibling's answers
            }
        });
        _stopFollowing = () =>
        {
            directory.Changed -= ProbeKnownPeers;
            node.NextHops.Changed -= NextHopChanged;
            retargeting.Dispose();
        };
        _following = node.FollowProbe(Probe);
        return Task.CompletedTask;
    }

    /// <summary>Impairs the probes to <paramref name="peer"/>'s relay (drills: the agent sees what flows see).</summary>
    public void Impair(RoomId peer, LinkImpairment impairment)
    {
        foreach (var (_, probeAt) in relay.PeerDirectory.ProbeEndpointsOf(peer))
        {
            _socket?.Impair(probeAt, impairment); // the link to the room is the link to each of its relays
        }
    }

    /// <summary>Where this relay's probe agent answers (its bound UDP endpoint); null without probing.</summary>
    public EndPoint? LocalEndPoint => _socket?.LocalEndPoint;

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        _following?.Dispose();
        _following = null;
        _stopFollowing?.Invoke();
        _stopFollowing = null;
        if (Probe is { } probe)
        {
            Probe = null;
            await probe.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Relay {Room} runs without its probe agent (no Probe:ClusterKey): link faults are found by broken streams and missing acks only")]
        public static partial void NoProbe(ILogger logger, RoomId room);

        [LoggerMessage(EventId = 4115, Level = LogLevel.Warning, Message = "Relay {Room}: the relay of {Peer} it probed stopped answering; probing the room at another of its relays")]
        public static partial void Retargeted(ILogger logger, RoomId room, RoomId peer);
    }
}
