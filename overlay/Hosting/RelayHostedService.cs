using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Client;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Client;
using Msdn.Overlay.Control;
using Msdn.Overlay.Gateway;
using Msdn.Overlay.Metrics;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Msdn.Probe.Agent;
using Msdn.Probe.Transport;
using Msdn.Tokens;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Runs the room's relay: its TLS identity (created in the data directory at first start), the transport
/// (QUIC where supported, else TCP + TLS, behind the impairment layer drills drive), the last route table
/// (from <c>--routes</c> or the data directory), the <see cref="RelayNode"/>, and around it the probe
/// agent (when <c>Probe:ClusterKey</c> is set; its down signals fail flows over), the media engines'
/// client port and the TCP gateway.
/// </summary>
public sealed partial class RelayHostedService(
    IOptions<RelayOptions> options,
    IOptions<ProbeAgentOptions> probeOptions,
    TimeProvider time,
    ILoggerFactory loggers,
    IMeterFactory? meters = null) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<RelayHostedService>();
    private readonly List<IAsyncDisposable> _owned = [];
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;
    private Dictionary<RoomId, EndPoint?> _peers = [];
    private ImpairedRelayTransport? _impairment;
    private ImpairedProbeSocket? _probeSocket;
    private RelayMetrics? _metrics;
    private readonly CancellationTokenSource _warmingStop = new();
    private Task _warming = Task.CompletedTask;
    private ControllerEndpoints? _endpoints;

    public RelayNode? Node { get; private set; }

    public RouteTableStore? Routes { get; private set; }

    public ProbeAgent? Probe { get; private set; }

    public ClientPort? Clients { get; private set; }

    public TcpGateway? Gateway { get; private set; }

    public ControllerClient? Controller { get; private set; }

    public string? Fingerprint { get; private set; }

    /// <summary>The transport the relay runs (quic or tcp+tls), once started.</summary>
    public string? Transport { get; private set; }

    /// <summary>Peer connections the relay's listener refused at the handshake.</summary>
    public long PeersRefused => Node?.PeersRefused ?? 0;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var room = new RoomId(settings.Room);
        Directory.CreateDirectory(settings.DataDirectory);
        _certificate = RelayCertificates.LoadOrCreateDevelopment(settings.DataDirectory, room.Value, time);
        Fingerprint = RelayCertificates.Fingerprint(_certificate);

        Routes = new RouteTableStore(settings.DataDirectory);
        if (settings.RouteTableFile is { Length: > 0 } file)
        {
            Routes.Replace(RouteTableCodec.Decode(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false)));
        }
        else if (Routes.LoadPersisted().Version == 0)
        {
            Log.NoRoutes(_logger, room);
        }

        var policy = new PeerCertificatePolicy(settings.PinnedFingerprints, null, time);
        var refusalsLogged = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        policy.Refused += reason =>
        {
            // Once per certificate and reason (a refused peer re-dials every few seconds); bounded against a stranger cycling certificates.
            if (refusalsLogged.Count < 1024 && refusalsLogged.TryAdd(reason, 0))
            {
                Log.CertificateRefused(_logger, room, reason);
            }
        };
        var transportOptions = new RelayTransportOptions(_certificate, policy);
        var transport = ChooseTransport(settings.Transport, transportOptions);
        Transport = transport.Name;
        _impairment = new ImpairedRelayTransport(transport, time);
        _peers = settings.Peers.ToDictionary(p => new RoomId(p.Key), p => EndpointParser.TryParse(p.Value, out var e) ? e : null);
        _metrics = new RelayMetrics(room.Value, meters);
        Node = new RelayNode(room, _impairment, r => _peers.GetValueOrDefault(r), () => Routes.Current, time, loggers.CreateLogger<RelayNode>(), new RelayNodeOptions { AckTimeout = settings.AckTimeout }, _metrics);
        await RelayStartException.BindingAsync("Relay:Listen (--listen)", settings.Listen, () => Node.StartAsync(IPEndPoint.Parse(settings.Listen), cancellationToken)).ConfigureAwait(false);
        _owned.Add(Node);

        StartProbe(settings, room);
        if (settings.ClientListen is { Length: > 0 } clientListen)
        {
            Clients = new ClientPort(Node, new MediaTokens(Convert.FromBase64String(settings.MediaTokenKey!), time), loggers.CreateLogger<ClientPort>());
            await RelayStartException.BindingAsync("Relay:ClientListen (--client-listen)", clientListen, () => Clients.StartAsync(IPEndPoint.Parse(clientListen))).ConfigureAwait(false);
            _owned.Insert(0, Clients);
        }

        var forwards = settings.ForwardRules().ToList();
        var delivers = settings.DeliverRules().ToList();
        if (forwards.Count + delivers.Count > 0)
        {
            Gateway = new TcpGateway(Node, forwards, delivers, time, loggers.CreateLogger<TcpGateway>());
            await RelayStartException.BindingAsync("Relay:Forward (--forward)", string.Join(", ", forwards.Select(f => f.Listen)), Gateway.StartAsync).ConfigureAwait(false);
            _owned.Insert(0, Gateway);
        }

        StartController(settings);
        _warming = Task.Run(() => KeepPeersWarmAsync(_warmingStop.Token), CancellationToken.None);
        _owned.Insert(0, new Closer(async () =>
        {
            await _warmingStop.CancelAsync().ConfigureAwait(false);
            await _warming.ConfigureAwait(false);
            _warmingStop.Dispose();
        }));
        var probes = Probe?.LocalEndPoint.ToString() ?? "off";
        Log.Started(_logger, room, Node.LocalEndPoint, Transport!, probes, Fingerprint, Routes.Current.Version);
    }

    /// <summary>
    /// Impairs the link from this relay to <paramref name="peer"/>, for drills: both its relay streams
    /// (cut, delay, jitter) and its probes (also loss), so the probe agent sees what flows see.
    /// </summary>
    public void Impair(RoomId peer, LinkImpairment impairment)
    {
        if (_impairment is null || Node is null)
        {
            throw new InvalidOperationException("The relay is not started.");
        }

        if (_peers.GetValueOrDefault(peer) is not { } endpoint)
        {
            throw new UnknownRoomException(peer);
        }

        _impairment.Impair(endpoint, impairment);
        _probeSocket?.Impair(ProbeEndpoint(endpoint), impairment);
        Log.Impaired(_logger, Node.Room, peer, impairment.ToString());
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        // Front doors first (gateway, client port), then the probe, then the relay itself.
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }

        _owned.Clear();
        Node = null;
        _metrics?.Dispose();
        _certificate?.Dispose();
        _certificate = null;
    }

    /// <summary>
    /// The probe agent listens beside the relay (UDP, the relay's port + 1: <see cref="ProbePort"/>) and
    /// probes the relay's peers there unless the Probe section lists its own; it runs when a cluster key
    /// is configured.
    /// </summary>
    private void StartProbe(RelayOptions settings, RoomId room)
    {
        var probe = probeOptions.Value;
        if (string.IsNullOrEmpty(probe.ClusterKey))
        {
            Log.NoProbe(_logger, room);
            return;
        }

        if (string.IsNullOrEmpty(probe.Room))
        {
            probe.Room = room.Value;
        }

        if (probe.Peers.Count == 0)
        {
            probe.Peers = [.. settings.Peers.Select(p => new ProbePeerOptions { Room = p.Key, Endpoint = p.Value })];
        }

        var listen = IPEndPoint.Parse(settings.Listen);
        var bound = (IPEndPoint)Node!.LocalEndPoint;
        var validation = new ProbeAgentOptionsValidator().Validate(null, probe);
        if (validation.Failed)
        {
            throw new OptionsValidationException(ProbeAgentOptions.SectionName, typeof(ProbeAgentOptions), validation.Failures);
        }

        UdpProbeSocket socket;
        try
        {
            socket = new UdpProbeSocket(ProbePort.Bind(listen, bound));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new RelayStartException("Relay:Listen (--listen; probes take UDP port + 1)", ProbePort.Of(bound).ToString() ?? string.Empty, e);
        }

        _probeSocket = new ImpairedProbeSocket(socket, time, seed: Environment.ProcessId);
        Probe = new ProbeAgent(probe, _probeSocket, time, loggers.CreateLogger<ProbeAgent>(), reports: null, seed: Environment.ProcessId);
        Probe.Start();
        Probe.SetPeers(probe.Peers.Select(p => new ProbePeer(new RoomId(p.Room), EndpointParser.TryParse(p.Endpoint, out var e) ? ProbeEndpoint(e) : throw new InvalidOperationException($"Probe peer {p.Room} has no valid endpoint."))));
        var following = Node.FollowProbe(Probe);
        _owned.Insert(0, new Releaser(following, Probe));
    }

    /// <summary>Keeps a connection open to every configured peer (re-dialling those that went away), every few seconds.</summary>
    private async Task KeepPeersWarmAsync(CancellationToken cancellationToken)
    {
        var round = TimeSpan.FromSeconds(2);
        using var timer = new PeriodicTimer(round, time);
        do
        {
            if (Node is { } node)
            {
                await node.WarmAsync(_peers.Keys, round, cancellationToken).ConfigureAwait(false);
            }
        }
        while (await Quietly(timer.WaitForNextTickAsync(cancellationToken)).ConfigureAwait(false));

        static async Task<bool> Quietly(ValueTask<bool> tick)
        {
            try
            {
                return await tick.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// The control link (with <c>--controller</c>): reports out, route tables in, directly or through a
    /// peer; and this relay carries its peers' control exchanges when they cannot reach the controller.
    /// </summary>
    private void StartController(RelayOptions settings)
    {
        if (settings.Controller is not { Length: > 0 } controller)
        {
            return;
        }

        var http = new HttpClient { BaseAddress = new Uri(controller.EndsWith('/') ? controller : controller + "/"), Timeout = Timeout.InfiniteTimeSpan };
        var credential = settings.ControllerCredential!;
        var node = Node!;
        node.ControlProxy = (request, cancellationToken) => ControlTunnel.SendAsync(http, request, cancellationToken);
        var probe = Probe;
        IReadOnlySet<RoomId>? PeersUp() => probe?.Snapshot().Where(l => l.State == Msdn.Probe.Detection.LinkState.Up).Select(l => l.Peer).ToHashSet();
        _endpoints = new ControllerEndpoints(new DirectControlChannel(http, credential), node, [.. _peers.Keys], credential, PeersUp, time);
        var advertise = settings.Advertise is { Length: > 0 } a ? a : node.LocalEndPoint.ToString()!;
        Controller = new ControllerClient(
            _endpoints,
            node,
            Routes!,
            probe,
            () => new RelayReportBody(advertise, node.State.ToString(), [], Clients?.LocalEndPoint.ToString()),
            time,
            settings.ReportInterval,
            loggers.CreateLogger<ControllerClient>());
        Controller.Start();
        var client = Controller;
        _metrics!.ObserveController(() => client.Status.Via switch
        {
            ControllerStatus.Direct => 1,
            ControllerStatus.Unreachable => 0,
            _ => 2,
        });
        _owned.Insert(0, new Closer(async () =>
        {
            await Controller.DisposeAsync().ConfigureAwait(false);
            _endpoints.Dispose();
            http.Dispose();
        }));
    }

    private static EndPoint ProbeEndpoint(EndPoint relay) => ProbePort.Of(relay);

    private static IRelayTransport ChooseTransport(string choice, RelayTransportOptions transportOptions)
    {
        // Relay:Transport is validated at start: quic here means QUIC is available.
        if (choice != "tcp" && QuicAvailability.IsSupported)
        {
            return new QuicRelayTransport(transportOptions);
        }

        return choice == "quic"
            ? throw new InvalidOperationException("Relay:Transport is quic, but QUIC is not supported here (install libmsquic, see docs/transport.md).")
            : new TcpTlsRelayTransport(transportOptions);
    }

    private sealed class Closer(Func<Task> close) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await close().ConfigureAwait(false);
    }

    private sealed class Releaser(IDisposable subscription, ProbeAgent agent) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            subscription.Dispose();
            await agent.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Relay {Room} refused a peer's TLS connection: {Reason} (pin its fingerprint with Relay:PinnedFingerprints if it is one of ours)")]
        public static partial void CertificateRefused(ILogger logger, RoomId room, string reason);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Relay {Room} listening on {Endpoint} over {Transport}, probes on {ProbeEndpoint} (UDP); certificate SHA-256 {Fingerprint}; route table version {Version}")]
        public static partial void Started(ILogger logger, RoomId room, EndPoint endpoint, string transport, string probeEndpoint, string fingerprint, long version);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Relay {Room} has no route table yet (no --routes and none persisted): it forwards transit flows but cannot open its own")]
        public static partial void NoRoutes(ILogger logger, RoomId room);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Relay {Room} runs without its probe agent (no Probe:ClusterKey): link faults are found by broken streams and missing acks only")]
        public static partial void NoProbe(ILogger logger, RoomId room);

        [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Relay {Room}: link to {Peer} impaired: {Impairment}")]
        public static partial void Impaired(ILogger logger, RoomId room, RoomId peer, string impairment);
    }
}
