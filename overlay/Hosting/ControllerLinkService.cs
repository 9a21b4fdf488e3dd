using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Overlay.Control;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The control link (with <c>--controller</c>): reports out, route tables, the directory and a certificate the
/// cluster CA signed in, directly or through a peer;
/// and this relay carries its peers' control exchanges when they cannot reach the controller.
/// </summary>
public sealed class ControllerLinkService(RelayNodeService relay, RelayProbeService probe, RelayFrontDoors doors, IOptions<RelayOptions> options, TimeProvider time, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private ControlConnections? _http;
    private ControllerEndpoints? _endpoints;

    /// <summary>The control link; null without a controller.</summary>
    public ControllerClient? Controller { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Controller is not { Length: > 0 } controller)
        {
            return Task.CompletedTask;
        }

        var node = relay.Node ?? throw new InvalidOperationException("The relay's node starts before its control link.");
        var metrics = relay.Metrics;
        var http = new ControlConnections(new Uri(controller.EndsWith('/') ? controller : controller + "/"), metrics is null ? null : metrics.ControlBytes);
        _http = http;
        var credential = settings.ControllerCredential!;
        node.ControlProxy = (request, cancellation) => ControlTunnel.SendAsync(http, request, cancellation);
        var agent = probe.Probe;
        IReadOnlySet<RoomId>? PeersUp() => agent?.Snapshot().Where(l => l.State == Msdn.Probe.Detection.LinkState.Up).Select(l => l.Peer).ToHashSet();
        _endpoints = new ControllerEndpoints(new DirectControlChannel(http, credential), node, () => relay.PeerDirectory.Peers, credential, PeersUp, time);
        var advertise = settings.Advertise is { Length: > 0 } a ? a : node.LocalEndPoint.ToString()!;
        if (Msdn.Probe.Agent.EndpointParser.TryParse(advertise, out var advertised))
        {
            node.NodeName = advertised.ToString() ?? advertise; // as peers write it, having read it from the directory
        }

        // The probe agent's port as bound, on the advertised host: peers probe there (port + 1 unless the relay bound port 0).
        var probeAt = probe.LocalEndPoint is System.Net.IPEndPoint bound ? $"{advertise[..advertise.LastIndexOf(':')]}:{bound.Port}" : null;
        var client = new ControllerClient(
            _endpoints,
            node,
            relay.Routes!,
            agent,
            () => new RelayReportBody(advertise, node.State.ToString(), [], doors.Clients?.LocalEndPoint.ToString(), relay.Fingerprint, probeAt, Load: relay.Load is { } meter ? RelayLoadBody.From(meter.Now()) : null),
            time,
            settings.ReportInterval,
            settings.ReportRefreshInterval,
            loggers.CreateLogger<ControllerClient>(),
            relay.PeerDirectory,
            relay.Renewal);
        Controller = client;
        client.Start();
        relay.Metrics!.ObserveController(() => client.Status.Via switch
        {
            ControllerStatus.Direct => 1,
            ControllerStatus.Unreachable => 0,
            _ => 2,
        });
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Controller is { } controller)
        {
            Controller = null;
            await controller.DisposeAsync().ConfigureAwait(false);
        }

        _endpoints?.Dispose();
        _endpoints = null;
        _http?.Dispose();
        _http = null;
    }
}
