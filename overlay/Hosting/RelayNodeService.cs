using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Control;
using Msdn.Overlay.Metrics;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Starts first and stops last: the room's relay with its TLS identity (created in the data directory at
/// first start), its transport (TCP + TLS or QUIC, behind the impairment layer drills drive), its last
/// route table (from <c>--routes</c> or the data directory) and its <see cref="RelayNode"/> listening.
/// </summary>
public sealed partial class RelayNodeService(IOptions<RelayOptions> options, TimeProvider time, ILoggerFactory loggers, IMeterFactory? meters = null) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<RelayNodeService>();
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _clusterCa;
    private RelayMetrics? _metrics;

    public RelayNode? Node { get; private set; }

    public RouteTableStore? Routes { get; private set; }

    /// <summary>The SHA-256 of the certificate the relay presents now, for peers to pin or the controller to register.</summary>
    public string? Fingerprint => Identity?.Fingerprint;

    /// <summary>The certificate the relay presents now (the cluster CA's once it has one).</summary>
    public RelayIdentity? Identity { get; private set; }

    /// <summary>Keeps <see cref="Identity"/> signed by the controller's cluster CA (the control link drives it).</summary>
    public CertificateRenewal? Renewal { get; private set; }

    /// <summary>The transport the relay runs (quic or tcp+tls), once started.</summary>
    public string? Transport { get; private set; }

    /// <summary>The peer relays' endpoints, by room (null where the configured endpoint is not one).</summary>
    /// <summary>Every peer this relay knows, configured or from the controller's directory, with where to reach it and whom to trust.</summary>
    public PeerDirectory PeerDirectory { get; private set; } = null!;


    /// <summary>The impairment layer over the transport (drills cut, delay and jitter links through it).</summary>
    public ImpairedRelayTransport? Impairment { get; private set; }

    public RelayMetrics? Metrics => _metrics;

    /// <summary>The relay's load against its configured capacity, sampled every report interval (reports and <c>/health</c> read the latest).</summary>
    public Load.RelayLoadMeter? Load { get; private set; }

    private readonly CancellationTokenSource _stopping = new();
    private Task _sampling = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var room = new RoomId(settings.Room);
        // The relay's private key lives here: owner only.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(settings.DataDirectory);
        }
        else
        {
            Directory.CreateDirectory(settings.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(settings.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // The certificate the cluster CA signed last run if it is still good, else the self-signed one until the CA signs a new one.
        var configuredCa = settings.ClusterCaFile is { Length: > 0 } caFile ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(caFile)) : null;
        var kept = CertificateRenewal.LoadKept(settings.DataDirectory, configuredCa, time);
        _certificate = kept?.Certificate ?? RelayCertificates.LoadOrCreateDevelopment(settings.DataDirectory, room.Value, time);
        _clusterCa = configuredCa ?? kept?.Ca;
        if (configuredCa is not null)
        {
            kept?.Ca.Dispose();
        }

        var identity = new RelayIdentity(_certificate);
        Identity = identity;

        var routes = new RouteTableStore(settings.DataDirectory);
        Routes = routes;
        if (settings.RouteTableFile is { Length: > 0 } file)
        {
            RouteTable given;
            try
            {
                given = RouteTableCodec.Decode(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false));
            }
            catch (RouteTableFormatException e)
            {
                throw new RelayStartException("Relay:RouteTableFile (--routes)", file, e);
            }

            routes.Replace(given);
        }
        else
        {
            var persisted = routes.LoadPersisted(out var problem);
            if (problem is not null)
            {
                Log.CorruptRoutes(_logger, room, routes.Path, problem, RouteTableStore.CorruptSuffix);
            }

            if (persisted.Version == 0)
            {
                Log.NoRoutes(_logger, room);
            }
        }

        var peers = settings.Peers.ToDictionary(p => new RoomId(p.Key), p => EndpointParser.TryParse(p.Value, out var e) ? e : null);
        var directory = new PeerDirectory(room, peers, settings.DataDirectory);
        directory.LoadPersisted(out var unreadable);
        if (unreadable is not null)
        {
            Log.UnreadableDirectory(_logger, room, unreadable);
        }

        PeerDirectory = directory;
        var policy = new PeerCertificatePolicy(settings.PinnedFingerprints, _clusterCa, time, directory.Trusts, directory.Lists, directory.Registers);
        if (settings.Controller is { Length: > 0 })
        {
            Renewal = new CertificateRenewal(identity, room.Value, settings.DataDirectory, () => policy.ClusterCa, policy.TrustClusterCa, time);
        }

        _metrics = new RelayMetrics(room.Value, meters);
        var metrics = _metrics;
        var refusalsLogged = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        policy.Refused += refusal =>
        {
            metrics.CertificateRefused(refusal.Reason.ToString().ToLowerInvariant());

            // Once per certificate and reason (a refused peer re-dials every few seconds); bounded against a stranger cycling certificates.
            if (refusalsLogged.Count < 1024 && refusalsLogged.TryAdd(refusal.Message, 0))
            {
                Log.CertificateRefused(_logger, room, refusal.Message);
            }
        };
        var transport = ChooseTransport(settings.Transport, new RelayTransportOptions(identity, policy));
        Transport = transport.Name;
        Impairment = new ImpairedRelayTransport(transport, time);
        Node = new RelayNode(room, Impairment, directory.ResolveAll, () => routes.Current, time, loggers.CreateLogger<RelayNode>(), new RelayNodeOptions
        {
            AckTimeout = settings.AckTimeout,
            EgressHoldBytes = settings.EgressHoldBytes,
            SlowSubscriberTimeout = settings.SlowSubscriberTimeout,
            OrphanFlowTimeout = settings.OrphanFlowTimeout,
            MaxUntakenFlowsPerEndpoint = settings.MaxUntakenFlowsPerEndpoint,
            DrainTimeout = settings.DrainTimeout,
        }, _metrics);
        var node = Node;
        var meter = new Load.RelayLoadMeter(_metrics.Traffic, () => node.ActiveFlows, settings.Capacity, time);
        Load = meter;
        _sampling = SampleLoadAsync(meter, settings.ReportInterval);
        node.PeerIdentity = (peer, certificate) => policy.NotRoomOf(peer.Value, certificate);
        node.NodeWeight = directory.WeightOf;

        // Trust follows the directory: a peer that left or re-keyed loses its connections, both ways.
        var known = directory.Peers.ToHashSet();
        directory.Changed += () =>
        {
            var now = directory.Peers.ToHashSet();
            var gone = known.Except(now).ToList();
            known = now;
            var closed = node.ForgetPeers(gone, policy.StillTrusts);
            if (gone.Count + closed > 0)
            {
                var names = string.Join(", ", gone);
                Log.PeersForgotten(_logger, room, names, closed);
            }
        };
        await RelayStartException.BindingAsync("Relay:Listen (--listen)", settings.Listen, () => node.StartAsync(IPEndPoint.Parse(settings.Listen), cancellationToken)).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    private async Task SampleLoadAsync(Load.RelayLoadMeter meter, TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                meter.Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        if (Node is { } node)
        {
            Node = null;
            await node.DisposeAsync().ConfigureAwait(false);
        }

        _metrics?.Dispose();
        _metrics = null;
        Identity?.Dispose();
        _certificate?.Dispose();
        _certificate = null;
        _clusterCa?.Dispose();
        _clusterCa = null;
    }

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

    private static partial class Log
    {
        [LoggerMessage(EventId = 4114, Level = LogLevel.Information, Message = "Relay {Room}: peers no longer in the directory: [{Gone}]; {Closed} inbound connections from untrusted peers closed")]
        public static partial void PeersForgotten(ILogger logger, RoomId room, string gone, int closed);

        [LoggerMessage(EventId = 4113, Level = LogLevel.Error, Message = "Relay {Room}: the persisted relay directory could not be read ({Problem}); starting from the configured peers until the controller sends it")]
        public static partial void UnreadableDirectory(ILogger logger, RoomId room, string problem);

        [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Relay {Room} refused a peer's TLS connection: {Reason} (pin its fingerprint with Relay:PinnedFingerprints if it is one of ours)")]
        public static partial void CertificateRefused(ILogger logger, RoomId room, string reason);

        [LoggerMessage(EventId = 4105, Level = LogLevel.Error, Message = "Relay {Room}: the persisted route table {Path} could not be read ({Problem}); it was set aside with the suffix {Suffix} and the relay starts without it")]
        public static partial void CorruptRoutes(ILogger logger, RoomId room, string path, string problem, string suffix);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Relay {Room} has no route table yet (no --routes and none persisted): it forwards transit flows but cannot open its own")]
        public static partial void NoRoutes(ILogger logger, RoomId room);
    }
}
