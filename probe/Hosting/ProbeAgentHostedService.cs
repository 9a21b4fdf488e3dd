using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Reports;
using Msdn.Probe.Transport;

namespace Msdn.Probe.Hosting;

/// <summary>Runs the room's probe agent for the life of the host: binds its UDP socket, starts probing the configured peers.</summary>
public sealed class ProbeAgentHostedService(
    IOptions<ProbeAgentOptions> options,
    TimeProvider time,
    ILogger<ProbeAgent> logger,
    IProbeReportSink? reports = null) : IHostedService, IAsyncDisposable
{
    public ProbeAgent? Agent { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var socket = new UdpProbeSocket(IPEndPoint.Parse(settings.Listen));
        Agent = new ProbeAgent(settings, socket, time, logger, reports, seed: Environment.ProcessId);
        Agent.Start();
        Agent.SetPeers(settings.Peers.Select(p => new ProbePeer(new RoomId(p.Room), EndpointParser.TryParse(p.Endpoint, out var e) ? e : throw new InvalidOperationException($"Probe peer {p.Room} has no valid endpoint."))));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Agent is { } agent)
        {
            Agent = null;
            await agent.DisposeAsync().ConfigureAwait(false);
        }
    }
}
