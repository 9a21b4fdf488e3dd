using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Msdn.Client;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Control;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Lifecycle;
using Msdn.Overlay.Metrics;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// One room's relay, composed of its parts: the port peer relays connect to (<see cref="PeerListener"/>),
/// the connections it keeps to them (<see cref="PeerConnections"/>), flows passing through
/// (<see cref="TransitSplice"/>), flows ending here (<see cref="EgressDelivery"/>), flows starting here
/// (<see cref="IngressFlows"/>, each decided by its <see cref="FlowCore"/>), the control tunnel
/// (<see cref="PeerControlTunnel"/>) and the drain lifecycle (<see cref="RelayAdmission"/>). This class
/// is what the host and media engines' front doors use.
/// </summary>
public sealed partial class RelayNode : IAsyncDisposable
{
    /// <summary>The reserved endpoint of the control tunnel; no media flow may use it.</summary>
    public const string ControlEndpoint = PeerControlTunnel.ControlEndpoint;

    /// <summary>The reserved endpoint a new connection's hello goes to; no media flow may use it.</summary>
    public const string HelloEndpoint = PeerConnections.HelloEndpoint;

    /// <summary>How long a refused data connection keeps its peer avoided without a new refusal.</summary>
    public static readonly TimeSpan RefusalHold = PeerConnections.RefusalHold;

    private readonly RelayContext _relay;
    private readonly RelayAdmission _admission;
    private readonly PeerConnections _peers;
    private readonly TransitSplice _transit;
    private readonly EgressDelivery _egress;
    private readonly IngressFlows _ingress;
    private readonly PeerControlTunnel _tunnel;
    private readonly PeerListener _listener;
    private readonly Func<RouteTable> _routes;
    private readonly bool _ownsMetrics;
    private Task? _endingOrphans;

    /// <param name="peerEndpoints">Where each peer room's relay listens (one relay per room).</param>
    public RelayNode(RoomId room, IRelayTransport transport, Func<RoomId, EndPoint?> peerEndpoints, Func<RouteTable> routes, TimeProvider time, ILogger<RelayNode> logger, RelayNodeOptions? options = null, RelayMetrics? metrics = null)
        : this(room, transport, (Func<RoomId, IReadOnlyList<EndPoint>>)(peer => peerEndpoints(peer) is { } endpoint ? [endpoint] : []), routes, time, logger, options, metrics)
    {
    }

    /// <param name="peerNodes">Where each of a peer room's relays listens: a room may run several, and each hop picks one (<see cref="NodeAffinity"/>).</param>
    public RelayNode(RoomId room, IRelayTransport transport, Func<RoomId, IReadOnlyList<EndPoint>> peerNodes, Func<RouteTable> routes, TimeProvider time, ILogger<RelayNode> logger, RelayNodeOptions? options = null, RelayMetrics? metrics = null)
    {
        _ownsMetrics = metrics is null;
        Metrics = metrics ?? new RelayMetrics(room.Value);
        _routes = routes;
        _relay = new RelayContext(room, time, options ?? new RelayNodeOptions(), Metrics, logger);
        _admission = new RelayAdmission(_relay.Options.Drain);
        _admission.Changed += (from, to) =>
        {
            Log.StateChanged(logger, Room, from, to);
            StateChanged?.Invoke(to);
        };
        Metrics.ObserveState(() => (int)State);
        _peers = new PeerConnections(_relay, transport, peerNodes);
        _transit = new TransitSplice(_relay, _peers);
        _egress = new EgressDelivery(_relay, _admission);
        _ingress = new IngressFlows(_relay, _peers, _admission, routes);
        _tunnel = new PeerControlTunnel(_relay, _peers);
        _listener = new PeerListener(_relay, transport, _admission, _peers, _tunnel, _egress, _transit);
    }

    public RoomId Room => _relay.Room;

    /// <summary>The relay entered another lifecycle state (the controller is told at once: a draining room leaves new routes).</summary>
    public event Action<RelayState>? StateChanged;

    /// <summary>A flow from this room was opened to the given destination.</summary>
    public event Action<RoomId>? FlowOpened
    {
        add => _ingress.Opened += value;
        remove => _ingress.Opened -= value;
    }

    /// <summary>A peer's data connection was refused (false) or works again (true): the controller hears of it at once.</summary>
    public event Action<RoomId, bool>? DataLinkChanged
    {
        add => _peers.DataLinkChanged += value;
        remove => _peers.DataLinkChanged -= value;
    }

    public RelayMetrics Metrics { get; }

    /// <summary>Connections peer relays have open to this one now.</summary>
    public int InboundConnections => _listener.InboundConnections;

    /// <summary>Peer connections the listener refused at the handshake (strangers, expired or revoked peers).</summary>
    public long PeersRefused => _listener.Refused;

    /// <summary>
    /// Ends the connections of peers no longer trusted: outbound ones to rooms that left (<paramref name="gone"/>),
    /// and inbound ones whose certificate <paramref name="trusted"/> no longer accepts. Returns how many inbound closed.
    /// </summary>
    public int ForgetPeers(IEnumerable<RoomId> gone, Func<System.Security.Cryptography.X509Certificates.X509Certificate?, bool> trusted)
    {
        ArgumentNullException.ThrowIfNull(gone);
        foreach (var room in gone)
        {
            _peers.Drop(room);
        }

        return _listener.CloseUntrusted(trusted);
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>Why the peer port is not accepting connections now; null while it is.</summary>
    public string? PeerPortNotAccepting => _listener.NotAccepting;

    /// <summary>What this relay knows of links beyond its table, shared by the flows it starts.</summary>
    public PathKnowledge Knowledge => _ingress.Knowledge;

    /// <summary>The peer rooms carrying flows from here now (the probe agent watches those links closely).</summary>
    public NextHopUsage NextHops => _relay.NextHops;

    /// <summary>How this relay sends a peer's tunnelled exchange on to the controller; null when it has no controller.</summary>
    /// <summary>What a hop weighs each relay of a peer room by when it picks among them (their headroom, from the directory); null: all alike.</summary>
    public Func<System.Net.EndPoint, double>? NodeWeight
    {
        get => _peers.NodeWeight;
        set => _peers.NodeWeight = value;
    }

    /// <summary>
    /// Why the certificate a dialled peer presented is not that room's relay (another trusted relay answering at its
    /// address), or null when it is; the connection is then closed and the peer counted as refusing. Unset: any
    /// trusted certificate will do.
    /// </summary>
    public Func<RoomId, System.Security.Cryptography.X509Certificates.X509Certificate?, string?>? PeerIdentity
    {
        get => _peers.PeerIdentity;
        set => _peers.PeerIdentity = value;
    }

    public Func<TunnelRequest, CancellationToken, Task<TunnelResponse>>? ControlProxy
    {
        get => _tunnel.ControlProxy;
        set => _tunnel.ControlProxy = value;
    }

    public RelayState State => _admission.State;

    /// <summary>Flows this relay carries now (its own, transit and delivered).</summary>
    public int ActiveFlows => _admission.Flows;

    /// <summary>Bytes of the flows ending here that their subscribers have not read yet (bounded per flow by <see cref="RelayNodeOptions.EgressHoldBytes"/> and what was in flight).</summary>
    public long EgressUnreadBytes => _egress.UnreadBytes;

    /// <summary>The flows this relay carries as their ingress now (for operators: their paths and failovers).</summary>
    public IReadOnlyCollection<RelayFlow> IngressFlows => _ingress.Flows;

    /// <summary>Peers whose data connection is refused now, and why.</summary>
    public IReadOnlyDictionary<RoomId, string> RefusedPeers => _peers.RefusedPeers;

    /// <summary>
    /// This relay's name among its room's relays: the address its peers reach it at, as they write it (a relay that
    /// drains names itself so that a flow's next try picks a sibling). The bound address unless set before start.
    /// </summary>
    public string NodeName
    {
        get => _relay.NodeName;
        set => _relay.NodeName = value;
    }

    public async Task StartAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        await _listener.StartAsync(listen, cancellationToken).ConfigureAwait(false);
        if (NodeName.Length == 0)
        {
            NodeName = LocalEndPoint.ToString() ?? string.Empty;
        }

        _endingOrphans = Task.Run(_egress.EndStuckFlowsUntilStoppedAsync, CancellationToken.None);
    }

    /// <summary>
    /// The flows arriving for <paramref name="endpoint"/> in this room, each announced once (whatever
    /// failovers its path goes through) with its own ordered data.
    /// </summary>
    public ChannelReader<IncomingFlow> Subscribe(string endpoint) => _egress.Subscribe(endpoint);

    /// <summary>See <see cref="EgressDelivery.AcceptResumedFlows"/>: while a media engine that can take flows on mid-way subscribes.</summary>
    internal IDisposable AcceptResumedFlows(string endpoint) => _egress.AcceptResumedFlows(endpoint);

    /// <summary>See <see cref="EgressDelivery.ConfirmDelivery"/>.</summary>
    internal void ConfirmDelivery(IncomingFlow incoming) => _egress.ConfirmDelivery(incoming);

    /// <summary>How long the latest refusal of this relay's data connection by <paramref name="peer"/>'s relays still stands.</summary>
    internal TimeSpan RefusalLeft(RoomId peer) => _peers.RefusalLeft(peer);

    /// <summary>See <see cref="EgressDelivery.HandedOver"/>.</summary>
    internal void HandedOver(IncomingFlow incoming) => _egress.HandedOver(incoming);

    /// <summary>See <see cref="EgressDelivery.Refuse"/>.</summary>
    internal bool RefuseDelivery(string source, ulong flowId, string reason) => _egress.Refuse(source, flowId, reason);

    /// <summary>Whether the current route table has a route from this room to <paramref name="destination"/>.</summary>
    public bool HasRoute(RoomId destination)
    {
        var table = _routes();
        return destination != Room && table.Contains(Room) && table.Contains(destination) && table.Find(Room, destination) is not null;
    }

    /// <summary>
    /// Opens a flow from this room to <paramref name="endpoint"/> in <paramref name="destination"/>;
    /// refused with <see cref="RelayDrainingException"/> unless the relay is serving.
    /// </summary>
    public Task<RelayFlow> OpenFlowAsync(RoomId destination, string endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        if (endpoint is ControlEndpoint or HelloEndpoint)
        {
            throw new ArgumentException($"{endpoint} is reserved for relays' own exchanges.", nameof(endpoint));
        }

        return Task.FromResult(_ingress.Open(destination, endpoint));
    }

    /// <summary>
    /// Takes over flow <paramref name="flowId"/> from this room, which a sibling relay carried until it died (or its
    /// media engine lost it), from chunk <paramref name="from"/>: the egress passes over what it already delivered.
    /// </summary>
    public RelayFlow ResumeFlow(RoomId destination, string endpoint, ulong flowId, ulong from)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        if (endpoint is ControlEndpoint or HelloEndpoint)
        {
            throw new ArgumentException($"{endpoint} is reserved for relays' own exchanges.", nameof(endpoint));
        }

        return _ingress.Open(destination, endpoint, (flowId, from));
    }

    /// <summary>The flow this relay carries as its ingress under <paramref name="flowId"/>, if it does.</summary>
    public RelayFlow? IngressFlow(ulong flowId) => _ingress.TryGet(flowId, out var flow) ? flow : null;

    /// <summary>Whether the data connection to <paramref name="peer"/>'s relay works (or has not been tried): false after a refusal, until a connection is proven.</summary>
    public bool CanCarryTo(RoomId peer) => _peers.CanCarryTo(peer);

    /// <summary>Keeps a connection open to each peer (see <see cref="PeerConnections.WarmAsync"/>).</summary>
    public Task WarmAsync(IEnumerable<RoomId> peers, TimeSpan? patience = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        return _peers.WarmAsync(peers, patience, cancellationToken);
    }

    /// <summary>A link was declared down: every flow carried over it fails over now.</summary>
    public void LinkDown(RoomId from, RoomId to) => _ingress.LinkDown(from, to);

    /// <summary>The link is back: paths over it may be chosen again.</summary>
    public void LinkUp(RoomId from, RoomId to) => _ingress.LinkUp(from, to);

    /// <summary>Follows a probe agent's down/up declarations, and has it probe fast the links carrying flows.</summary>
    public IDisposable FollowProbe(Msdn.Probe.Agent.ProbeAgent agent) => _ingress.FollowProbe(agent);

    /// <summary>This relay's own links as its probe agent sees them now (peer, cost): the first hops of a local detour.</summary>
    public void UseLiveLinks(Func<IEnumerable<(RoomId Peer, double CostMs)>> liveLinks) => _ingress.UseLiveLinks(liveLinks);

    /// <summary>Carries one control exchange through <paramref name="peer"/>'s relay.</summary>
    public Task<TunnelResponse> TunnelAsync(RoomId peer, TunnelRequest request, CancellationToken cancellationToken) => _tunnel.TunnelAsync(peer, request, cancellationToken);

    /// <summary>
    /// Stops taking new flows. With <paramref name="moveTransit"/>, flows passing through are torn down at
    /// once: their ingress relays fail over to their backup paths (room-disjoint, so they avoid this room)
    /// and replay from the last ack, as for any failure. Flows that start or end in this room continue
    /// until their media engines close them. Drained once none is left.
    /// </summary>
    public void Drain(bool moveTransit = true)
    {
        _admission.RequestDrain();
        if (moveTransit)
        {
            _transit.BreakAll();
        }

        _admission.SignalIfDrained();
        if (_admission.State == RelayState.Draining)
        {
            var timer = new CancellationTokenSource();
            Interlocked.Exchange(ref _drainTimer, timer)?.Cancel();
            _ = EvictAfterDrainTimeoutAsync(timer.Token);
        }
    }

    /// <summary>Back to serving (the operator cancelled the scale-in).</summary>
    public void CancelDrain()
    {
        Interlocked.Exchange(ref _drainTimer, null)?.Cancel();
        _admission.CancelDrain();
    }

    private CancellationTokenSource? _drainTimer;

    /// <summary>
    /// Past <see cref="RelayNodeOptions.DrainTimeout"/>, still draining: the flows its media engines opened here are let go,
    /// and each engine resumes its flow at a sibling of the room (flows ending here stay until they end: their subscribers
    /// cannot move yet).
    /// </summary>
    private async Task EvictAfterDrainTimeoutAsync(CancellationToken cancelled)
    {
        try
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancelled, _relay.Stopping);
            await Task.Delay(_relay.Options.DrainTimeout, _relay.Time, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (_admission.State == RelayState.Draining)
        {
            Log.DrainTimedOut(_relay.Logger, Room, _relay.Options.DrainTimeout.TotalSeconds, _ingress.AbandonAll());
        }
    }

    /// <summary>The room's load (0–1): rising load takes a draining relay back into service.</summary>
    public void ObserveLoad(double roomLoad) => _admission.ObserveLoad(roomLoad);

    /// <summary>Completes when the relay is drained (safe to remove).</summary>
    public Task WhenDrainedAsync(CancellationToken cancellationToken = default) => _admission.WhenDrainedAsync(cancellationToken);

    /// <summary>
    /// Stops: flows passing through are told this relay is leaving (their ingress relays pick a sibling of it),
    /// then no new connection or stream, every accepted connection and every kept one closed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _transit.MoveAllAsync(_relay.Options.CloseTimeout).ConfigureAwait(false); // flows passing through hear it first, and take a sibling
        await _relay.StopAsync().ConfigureAwait(false);
        if (_endingOrphans is { } endingOrphans)
        {
            await endingOrphans.ConfigureAwait(false);
        }

        await _listener.DisposeAsync().ConfigureAwait(false);
        await _peers.DisposeAsync().ConfigureAwait(false);
        _relay.Dispose();
        if (_ownsMetrics)
        {
            Metrics.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4015, Level = LogLevel.Warning, Message = "Relay {Room}: still draining {Seconds} s after the drain began; let go of the {Flows} flows its media engines opened here (each resumes at a sibling relay of the room)")]
        public static partial void DrainTimedOut(ILogger logger, RoomId room, double seconds, int flows);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Relay {Room}: {From} → {To}")]
        public static partial void StateChanged(ILogger logger, RoomId room, RelayState from, RelayState to);
    }
}
