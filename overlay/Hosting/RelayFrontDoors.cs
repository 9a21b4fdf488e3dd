using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Overlay.Client;
using Msdn.Overlay.Gateway;
using Msdn.Tokens;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The ways in for media engines, started once the relay runs and stopped before it: the client port
/// (with <c>--client-listen</c>) and the TCP gateway (with <c>--forward</c> or <c>--deliver</c>).
/// </summary>
public sealed partial class RelayFrontDoors(RelayNodeService relay, IOptions<RelayOptions> options, TimeProvider time, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    /// <summary>The media engines' client port; null when not configured.</summary>
    public ClientPort? Clients { get; private set; }

    /// <summary>The TCP gateway; null when no rule is configured.</summary>
    public TcpGateway? Gateway { get; private set; }

    private readonly ILogger _logger = loggers.CreateLogger<RelayFrontDoors>();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var node = relay.Node ?? throw new InvalidOperationException("The relay's node starts before its front doors.");
        var settings = options.Value;
        if (settings.ClientListen is { Length: > 0 } clientListen)
        {
            if (DescriptorLimit.Current() is { } limit && limit - DescriptorLimit.Baseline < settings.MaxClientConnections)
            {
                // Past the descriptor limit the runtime itself fails (it aborts), so the caps must stay below it.
                Log.CapAboveDescriptorLimit(_logger, settings.MaxClientConnections, limit, DescriptorLimit.Baseline);
            }

            var clients = new ClientPort(node, new MediaTokens(Convert.FromBase64String(settings.MediaTokenKey!), time), loggers.CreateLogger<ClientPort>(), new Transport.ConnectionLimiter(settings.MaxClientConnections, settings.MaxClientConnectionsPerAddress));
            Clients = clients;
            await RelayStartException.BindingAsync("Relay:ClientListen (--client-listen)", clientListen, () => clients.StartAsync(IPEndPoint.Parse(clientListen))).ConfigureAwait(false);
            var endpoint = clients.LocalEndPoint;
            Log.ClientPortListening(_logger, node.Room, endpoint); // the port bound, when asked for port 0
        }

        var forwards = settings.ForwardRules().ToList();
        var delivers = settings.DeliverRules().ToList();
        if (forwards.Count + delivers.Count > 0)
        {
            var gateway = new TcpGateway(node, forwards, delivers, time, loggers.CreateLogger<TcpGateway>());
            Gateway = gateway;
            await RelayStartException.BindingAsync("Relay:Forward (--forward)", string.Join(", ", forwards.Select(f => f.Listen)), gateway.StartAsync).ConfigureAwait(false);
            var listening = string.Join(", ", gateway.ForwardEndPoints);
            if (listening.Length > 0)
            {
                Log.GatewayListening(_logger, node.Room, listening);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        // The gateway first: it opens flows through the relay, as the client port's engines do.
        if (Gateway is { } gateway)
        {
            Gateway = null;
            await gateway.DisposeAsync().ConfigureAwait(false);
        }

        if (Clients is { } clients)
        {
            Clients = null;
            await clients.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Relay {Room}: media engines connect on {Endpoint}")]
        public static partial void ClientPortListening(ILogger logger, Graph.Topology.RoomId room, System.Net.EndPoint endpoint);

        [LoggerMessage(EventId = 4112, Level = LogLevel.Information, Message = "Relay {Room}: the gateway forwards connections on {Endpoints}")]
        public static partial void GatewayListening(ILogger logger, Graph.Topology.RoomId room, string endpoints);

        [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Relay:MaxClientConnections ({Cap}) does not fit this process's descriptor limit ({Limit}, ulimit -n) with {Baseline} kept for the relay itself: lower the cap or raise the limit, or a burst of connections can exhaust the descriptors")]
        public static partial void CapAboveDescriptorLimit(ILogger logger, int cap, long limit, int baseline);
    }
}
