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
        Probe.SetPeers(probe.Peers.Select(p => new ProbePeer(new RoomId(p.Room), EndpointParser.TryParse(p.Endpoint, out var e) ? ProbePort.Of(e) : throw new InvalidOperationException($"Probe peer {p.Room} has no valid endpoint."))));
        _following = node.FollowProbe(Probe);
        return Task.CompletedTask;
    }

    /// <summary>Impairs the probes to the peer relay at <paramref name="relayEndpoint"/> (drills: the agent sees what flows see).</summary>
    public void Impair(EndPoint relayEndpoint, LinkImpairment impairment) => _socket?.Impair(ProbePort.Of(relayEndpoint), impairment);

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        _following?.Dispose();
        _following = null;
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
    }
}
