using System.Diagnostics.Metrics;
using Msdn.Overlay.Control;

namespace Msdn.Overlay.Metrics;

/// <summary>
/// The relay's instruments (meter <see cref="MeterName"/>), exported through OpenTelemetry by the host:
/// flows, bytes, retransmissions, failovers and their duration, rejected frames and refused clients, and
/// the lifecycle state. Each relay tags its measurements with its room.
/// </summary>
public sealed class RelayMetrics : IDisposable
{
    public const string MeterName = "Msdn.Relay";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly KeyValuePair<string, object?> _room;
    private readonly Counter<long> _flowsOpened;
    private readonly UpDownCounter<long> _flowsActive;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _retransmittedChunks;
    private readonly Counter<long> _failovers;
    private readonly Histogram<double> _failoverDuration;
    private readonly Counter<long> _framesRejected;
    private readonly Counter<long> _clientsRefused;
    private readonly Counter<long> _acceptFailures;
    private readonly Counter<long> _dataRefusals;
    private readonly Counter<long> _certificatesRefused;
    private readonly Counter<long> _controlBytes;

    public RelayMetrics(string room, IMeterFactory? meters = null)
    {
        _ownsMeter = meters is null;
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _room = new("room", room);
        _flowsOpened = _meter.CreateCounter<long>("msdn.relay.flows.opened", "{flow}", "Flows that started at, passed through or ended at this relay (tag role).");
        _flowsActive = _meter.CreateUpDownCounter<long>("msdn.relay.flows.active", "{flow}", "Flows this relay carries now (tag role).");
        _bytes = _meter.CreateCounter<long>("msdn.relay.bytes", "By", "Bytes accepted from local writers (direction=in) and delivered to local subscribers (direction=out).");
        _retransmittedChunks = _meter.CreateCounter<long>("msdn.relay.retransmitted_chunks", "{chunk}", "Unacknowledged chunks replayed on a new path after a failover.");
        _failovers = _meter.CreateCounter<long>("msdn.relay.failovers", "{failover}", "Flows moved to another path.");
        _failoverDuration = _meter.CreateHistogram<double>("msdn.relay.failover.duration", "ms", "From the fault (the last ack before a silence, or the detected break) to the first ack on the new path, teardown and set-up included.");
        _framesRejected = _meter.CreateCounter<long>("msdn.relay.frames.rejected", "{frame}", "Malformed, oversized or unexpected frames; each closed its connection or stream.");
        _acceptFailures = _meter.CreateCounter<long>("msdn.relay.peers.accept_failures", "{error}", "Errors accepting peer connections other than refused handshakes (the accept loop goes on).");
        _clientsRefused = _meter.CreateCounter<long>("msdn.relay.clients.refused", "{client}", "Media engines refused (tag reason: token error, draining, bad request).");
        _certificatesRefused = _meter.CreateCounter<long>("msdn.relay.peers.certificates_refused", "{certificate}", "Peer certificates refused at a handshake, by reason: unknown (not pinned, registered or from the cluster CA), missing, expired, revoked (the CA's, for a room the directory no longer lists).");
        _dataRefusals = _meter.CreateCounter<long>("msdn.relay.peers.data_refused", "{refusal}", "Peers whose relay answered probes but refused this relay's data connection (untrusted certificate either way); each such link is reported down.");
        _controlBytes = _meter.CreateCounter<long>("msdn.relay.control.bytes", "By", "Bytes on the wire to and from the controller (HTTP and TLS included), by kind (reports, routes, directory, certificate; a peer's tunnelled exchange counts as what it carries) and direction (sent, received).");

        // Exported at zero from the start: a dashboard or alert on failovers must not see "no data" until the first one.
        _failovers.Add(0, _room);
        _retransmittedChunks.Add(0, _room);
        _dataRefusals.Add(0, _room);
        _acceptFailures.Add(0, _room);
    }

    public Meter Meter => _meter;

    /// <summary>Bytes and data units in and out over every role, as the load meter reads them.</summary>
    public Load.RelayTraffic Traffic { get; } = new();

    public void FlowOpened(string role)
    {
        _flowsOpened.Add(1, _room, new("role", role));
        _flowsActive.Add(1, _room, new("role", role));
    }

    public void FlowEnded(string role) => _flowsActive.Add(-1, _room, new("role", role));

    public void BytesIn(long bytes)
    {
        _bytes.Add(bytes, _room, new("direction", "in"));
        Traffic.In(bytes);
    }

    public void BytesOut(long bytes)
    {
        _bytes.Add(bytes, _room, new("direction", "out"));
        Traffic.Out(bytes);
    }

    public void Retransmitted(long chunks) => _retransmittedChunks.Add(Math.Max(0, chunks), _room);

    public void FailedOver() => _failovers.Add(1, _room);

    public void FailoverCompleted(TimeSpan duration) => _failoverDuration.Record(duration.TotalMilliseconds, _room);

    public void FrameRejected(string reason) => _framesRejected.Add(1, _room, new("reason", reason));

    public void ClientRefused(string reason) => _clientsRefused.Add(1, _room, new("reason", reason));

    public void CertificateRefused(string reason) => _certificatesRefused.Add(1, _room, new("reason", reason));

    public void ControlBytes(ControlKind kind, long sent, long received)
    {
        if (sent > 0)
        {
            _controlBytes.Add(sent, _room, new("kind", kind.Name()), new("direction", "sent"));
        }

        if (received > 0)
        {
            _controlBytes.Add(received, _room, new("kind", kind.Name()), new("direction", "received"));
        }
    }

    public void AcceptFailed() => _acceptFailures.Add(1, _room);

    public void PeerRefusedData() => _dataRefusals.Add(1, _room);

    /// <summary>Publishes how many connections the relay's listener refused at the handshake (strangers, expired or revoked peers).</summary>
    public void ObservePeersRefused(Func<long> refused) => _meter.CreateObservableCounter("msdn.relay.peers.refused", () => new Measurement<long>(refused(), _room), "{connection}", "Peer connections refused at the TLS handshake.");

    /// <summary>
    /// Publishes what the relay's probe agent sent, received and rejected, and its loss bursts (many links beginning to
    /// lose probes at once: a region cut off; see LossBurst): an operator tells a probe agent that stopped hearing its
    /// peers, or one that strangers are sending datagrams to, without reading its debug log.
    /// </summary>
    public void ObserveProbe(Func<Msdn.Probe.Agent.ProbeAgent?> agent)
    {
        _meter.CreateObservableCounter("msdn.relay.probe.loss_bursts", () => new Measurement<long>(agent()?.LossBursts ?? 0, _room), "{burst}", "Loss bursts the relay's probe agent saw: many links beginning to lose probes at once, every link probed fast for a while.");
        Func<Msdn.Probe.Agent.ProbeCounters?> counters = () => agent()?.Counters;
        _meter.CreateObservableCounter("msdn.relay.probe.requests", () => Measure(counters()?.RequestsSent), "{datagram}", "Probe requests the relay's probe agent sent.");
        _meter.CreateObservableCounter("msdn.relay.probe.replies_received", () => Measure(counters()?.RepliesReceived), "{datagram}", "Authentic replies to the agent's own probes.");
        _meter.CreateObservableCounter("msdn.relay.probe.replies_sent", () => Measure(counters()?.RepliesSent), "{datagram}", "Replies the agent sent to its peers' probes.");
        _meter.CreateObservableCounter("msdn.relay.probe.sent", () => Measure(counters()?.BytesSent), "By", "Bytes of probe datagrams the agent sent, requests and replies.");
        _meter.CreateObservableCounter("msdn.relay.probe.rejected", () => Rejections(counters()), "{datagram}", "Probe datagrams the agent rejected, by reason (malformed, a bad MAC, replayed, unsolicited).");

        IEnumerable<Measurement<long>> Measure(long? value) => value is { } v ? [new Measurement<long>(v, _room)] : [];

        IEnumerable<Measurement<long>> Rejections(Msdn.Probe.Agent.ProbeCounters? seen)
        {
            if (seen is null)
            {
                yield break;
            }

            foreach (var reason in Enum.GetValues<Msdn.Probe.Protocol.ProbeRejection>())
            {
                if (reason != Msdn.Probe.Protocol.ProbeRejection.None)
                {
                    yield return new Measurement<long>(seen.Rejected(reason), _room, new("reason", reason.ToString()));
                }
            }
        }
    }

    /// <summary>Publishes the lifecycle state (0 serving, 1 draining, 2 drained) as a gauge.</summary>
    public void ObserveState(Func<int> state) => _meter.CreateObservableGauge("msdn.relay.state", () => new Measurement<int>(state(), _room), description: "0 serving, 1 draining, 2 drained.");

    /// <summary>Publishes the control link (1 direct, 2 through a peer, 0 unreachable: forwarding on the last table).</summary>
    public void ObserveController(Func<int> link) => _meter.CreateObservableGauge("msdn.relay.controller.link", () => new Measurement<int>(link(), _room), description: "1 direct, 2 through a peer relay, 0 unreachable (forwarding on the last route table).");

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose(); // a factory's meters live as long as the factory
        }
    }
}
