using System.Net;
using System.Net.Quic;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Runs the room's relay: its TLS identity (created in the data directory at first start), the transport
/// (QUIC where supported, else TCP + TLS), the last route table (from <c>--routes</c> or the data directory),
/// and the <see cref="RelayNode"/> listening for peer relays.
/// </summary>
public sealed partial class RelayHostedService(IOptions<RelayOptions> options, TimeProvider time, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<RelayHostedService>();
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    public RelayNode? Node { get; private set; }

    public RouteTableStore? Routes { get; private set; }

    public string? Fingerprint { get; private set; }

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
        var transportOptions = new RelayTransportOptions(_certificate, policy);
        var transport = ChooseTransport(settings.Transport, transportOptions);
        var peers = settings.Peers.ToDictionary(p => new RoomId(p.Key), p => EndpointParser.TryParse(p.Value, out var e) ? e : null);
        Node = new RelayNode(room, transport, r => peers.GetValueOrDefault(r), () => Routes.Current, time, loggers.CreateLogger<RelayNode>());
        await Node.StartAsync(IPEndPoint.Parse(settings.Listen), cancellationToken).ConfigureAwait(false);
        Log.Started(_logger, room, Node.LocalEndPoint, transport.Name, Fingerprint, Routes.Current.Version);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Node is { } node)
        {
            Node = null;
            await node.DisposeAsync().ConfigureAwait(false);
        }

        _certificate?.Dispose();
        _certificate = null;
    }

    private static IRelayTransport ChooseTransport(string choice, RelayTransportOptions transportOptions)
    {
        var quicAvailable = (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()) && QuicConnection.IsSupported;
        return choice switch
        {
            "tcp" => new TcpTlsRelayTransport(transportOptions),
            "quic" when quicAvailable => CreateQuic(transportOptions),
            "quic" => throw new InvalidOperationException("Relay:Transport is quic, but QUIC is not supported here (install libmsquic, see the README)."),
            _ => quicAvailable ? CreateQuic(transportOptions) : new TcpTlsRelayTransport(transportOptions),
        };

        static IRelayTransport CreateQuic(RelayTransportOptions o)
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
            {
                return new QuicRelayTransport(o);
            }

            throw new PlatformNotSupportedException("QUIC needs Linux, Windows or macOS.");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Relay {Room} listening on {Endpoint} over {Transport}; certificate SHA-256 {Fingerprint}; route table version {Version}")]
        public static partial void Started(ILogger logger, RoomId room, EndPoint endpoint, string transport, string fingerprint, long version);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Relay {Room} has no route table yet (no --routes and none persisted): it forwards transit flows but cannot open its own")]
        public static partial void NoRoutes(ILogger logger, RoomId room);
    }
}
