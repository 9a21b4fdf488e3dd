using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Detection;
using Msdn.Probe.Protocol;
using Msdn.Probe.Reports;
using Msdn.Probe.Transport;

namespace Msdn.Probe.Agent;

/// <summary>
/// Probes every peer room's relay over UDP and keeps per-link estimates: RTT (smoothed and minimum),
/// jitter, round-trip loss, loss per direction, and up/down state. Down and up are raised to subscribers
/// the moment they are declared; every report interval a batch of estimates goes to the report sink.
/// Also answers other rooms' probes. All time comes from the <see cref="TimeProvider"/> and all chance
/// from the seed, so the simulator runs it in virtual time.
/// </summary>
public sealed partial class ProbeAgent : IAsyncDisposable
{
    private readonly ProbeAgentOptions _options;
    private readonly RoomId _room;
    private readonly byte[] _key;
    private readonly IProbeSocket _socket;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IProbeReportSink? _reports;
    private readonly Random _random;
    private readonly uint _session;
    private readonly Lock _lock = new();
    private readonly Dictionary<RoomId, PeerLink> _peers = [];
    private readonly Dictionary<RoomId, ResponderState> _strangers = [];
    private readonly PriorityQueue<(PeerLink Peer, ulong Sequence), long> _schedule = new();
    private readonly List<Action<LinkStateChange>> _observers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly byte[] _sendBuffer = new byte[ProbeCodec.MaxLength];
    private ITimer? _timer;
    private ITimer? _reportTimer;
    private Task? _receiving;

    public ProbeAgent(ProbeAgentOptions options, IProbeSocket socket, TimeProvider time, ILogger<ProbeAgent> logger, IProbeReportSink? reports = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new ProbeAgentOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(ProbeAgentOptions.SectionName, typeof(ProbeAgentOptions), validation.Failures);
        }

        _options = options;
        _room = new RoomId(options.Room);
        _key = options.DecodeClusterKey();
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _reports = reports;
        _random = new Random(seed);

        // Distinct per start (the clock) and per agent (the seed), also in virtual time.
        _session = unchecked((uint)time.GetUtcNow().ToUnixTimeMilliseconds() ^ (uint)_random.Next());
    }

    public RoomId Room => _room;

    /// <summary>Where this agent's socket receives (peers probe it here).</summary>
    public EndPoint LocalEndPoint => _socket.LocalEndPoint;

    public ProbeCounters Counters { get; } = new();

    public void Start()
    {
        _timer = _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_reports is not null)
        {
            _reportTimer = _time.CreateTimer(_ => Report(), null, _options.ReportInterval, _options.ReportInterval);
        }

        if (_socket is IDatagramPushSource push)
        {
            push.SetReceiver(OnDatagram);
        }
        else
        {
            _receiving = Task.Run(ReceiveLoopAsync);
        }

        lock (_lock)
        {
            Rearm();
        }
    }

    /// <summary>Replaces the peer set (from configuration or the controller's room list); kept links keep their estimates.</summary>
    public void SetPeers(IEnumerable<ProbePeer> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        lock (_lock)
        {
            var wanted = peers.Where(p => p.Room != _room).ToDictionary(p => p.Room);
            foreach (var (room, link) in _peers.Where(p => !wanted.ContainsKey(p.Key)).ToList())
            {
                link.Removed = true;
                _peers.Remove(room);
            }

            var now = _time.GetTimestamp();
            foreach (var (room, peer) in wanted)
            {
                if (_peers.TryGetValue(room, out var existing))
                {
                    existing.Endpoint = peer.Endpoint;
                    continue;
                }

                var link = new PeerLink(room, peer.Endpoint, _options);
                _peers.Add(room, link);

                // Spread first probes over one base interval so a thousand peers do not start in one burst.
                ScheduleSend(link, now + Ticks(_options.BaseInterval * _random.NextDouble()));
            }

            Rearm();
        }
    }

    /// <summary>Marks a link as carrying flows (probed at the fast interval) or not.</summary>
    public void SetActive(RoomId peer, bool active)
    {
        lock (_lock)
        {
            if (_peers.TryGetValue(peer, out var link))
            {
                link.Active = active;
                if (active)
                {
                    PullIn(link, _time.GetTimestamp());
                    Rearm();
                }
            }
        }
    }

    /// <summary>Calls <paramref name="observer"/> on every down/up declaration, at once; dispose to stop.</summary>
    public IDisposable Subscribe(Action<LinkStateChange> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_lock)
        {
            _observers.Add(observer);
        }

        return new Subscription(this, observer);
    }

    /// <summary>Current estimates for every peer.</summary>
    public IReadOnlyList<LinkReport> Snapshot()
    {
        var at = _time.GetUtcNow();
        lock (_lock)
        {
            return _peers.Values.OrderBy(p => p.Room).Select(p => Describe(p, at)).ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _timer?.Dispose();
        _reportTimer?.Dispose();
        await _socket.DisposeAsync().ConfigureAwait(false);
        if (_receiving is not null)
        {
            try
            {
                await _receiving.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }

    private static LinkReport Describe(PeerLink p, DateTimeOffset at)
    {
        var rtt = double.IsNaN(p.Rtt.SmoothedMs) ? 0 : p.Rtt.SmoothedMs;
        var quality = new LinkQuality(rtt, p.Jitter.JitterMs, p.Loss.Loss, p.Health.State == LinkState.Up, at);
        return new LinkReport(p.Room, quality, double.IsNaN(p.Rtt.MinimumMs) ? 0 : p.Rtt.MinimumMs, p.Directions.Forward, p.Directions.Reverse, p.Health.State, p.ProbesSent, p.RepliesReceived);
    }

    private void OnTimer()
    {
        var changes = new List<LinkStateChange>();
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            while (_schedule.TryPeek(out var entry, out var due) && due <= now)
            {
                _schedule.Dequeue();
                var (link, sequence) = entry;
                if (link.Removed)
                {
                    continue;
                }

                if (sequence == 0)
                {
                    if (due == link.NextSendDue)
                    {
                        SendProbe(link, now);
                    }
                }
                else if (link.Outstanding.Remove(sequence))
                {
                    Lost(link, now, changes);
                }
            }

            Rearm();
        }

        Raise(changes);
    }

    private void SendProbe(PeerLink link, long now)
    {
        var sequence = link.NextSequence++;
        var sentAt = Microseconds(now);
        var length = ProbeCodec.Encode(new ProbePacket(ProbeKind.Request, _room, _session, sequence, sentAt, 0), _key, _sendBuffer);
        link.Outstanding[sequence] = sentAt;
        link.ProbesSent++;
        _socket.Send(_sendBuffer.AsSpan(0, length), link.Endpoint);
        Counters.RequestSent(length);
        _schedule.Enqueue((link, sequence), now + Ticks(_options.ProbeTimeout));
        ScheduleSend(link, now + Ticks(Interval(link)));
    }

    private void Lost(PeerLink link, long now, List<LinkStateChange> changes)
    {
        link.Loss.Add(true);
        if (link.Health.OnLost())
        {
            Log.LinkDown(_logger, _room, link.Room, link.Health.ConsecutiveLosses);
            changes.Add(new LinkStateChange(_room, link.Room, LinkState.Down, _time.GetUtcNow()));
        }

        PullIn(link, now); // a lost probe moves the link to the fast interval at once
    }

    private void OnReply(in ProbePacket packet, long now, List<LinkStateChange> changes)
    {
        if (!_peers.TryGetValue(packet.Sender, out var link))
        {
            Counters.Reject(ProbeRejection.UnknownPeer);
            return;
        }

        if (packet.Session != _session || !link.Outstanding.TryGetValue(packet.Sequence, out var sentAt) || sentAt != packet.SentAt)
        {
            Counters.Reject(ProbeRejection.Unsolicited);
            return;
        }

        link.Outstanding.Remove(packet.Sequence);
        Counters.ReplyReceived();
        link.RepliesReceived++;
        var rttMs = (Microseconds(now) - sentAt) / 1000.0;
        link.Rtt.Add(rttMs);
        link.Jitter.Add(rttMs);
        link.Loss.Add(false);
        link.Directions.AddReply(packet.Sequence, packet.RequestsReceived);
        if (link.Health.OnAnswered())
        {
            link.EverUp = true;
            Log.LinkUp(_logger, _room, link.Room, link.Rtt.SmoothedMs);
            changes.Add(new LinkStateChange(_room, link.Room, LinkState.Up, _time.GetUtcNow()));
        }
        else if (link.Health.State == LinkState.Down)
        {
            PullIn(link, now); // confirming: probe fast until up
        }
    }

    private void OnRequest(in ProbePacket packet, EndPoint from)
    {
        ResponderState? responder;
        if (_peers.TryGetValue(packet.Sender, out var link))
        {
            responder = link.Responder;
        }
        else if (!_strangers.TryGetValue(packet.Sender, out responder))
        {
            // Authenticated rooms not (yet) in our peer list are answered too: peer lists change at different times.
            if (_strangers.Count >= 10_000)
            {
                _strangers.Clear();
            }

            responder = _strangers[packet.Sender] = new ResponderState();
        }

        responder.Observe(packet.Session);
        if (!responder.Replay.TryAccept(packet.Sequence))
        {
            Counters.Reject(ProbeRejection.Replayed);
            return;
        }

        responder.RequestsReceived++;
        var reply = new ProbePacket(ProbeKind.Reply, _room, packet.Session, packet.Sequence, packet.SentAt, responder.RequestsReceived);
        var length = ProbeCodec.Encode(reply, _key, _sendBuffer);
        _socket.Send(_sendBuffer.AsSpan(0, length), from);
        Counters.ReplySent(length);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[2048];
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var datagram = await _socket.ReceiveAsync(buffer, _stopping.Token).ConfigureAwait(false);
                OnDatagram(buffer.AsSpan(0, datagram.Length), datagram.From);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ReceiveLoopFailed(_logger, e);
            throw;
        }
    }

    /// <summary>Handles one received datagram: authenticated requests are answered, replies measured, the rest counted.</summary>
    private void OnDatagram(ReadOnlySpan<byte> datagram, EndPoint from)
    {
        var rejection = ProbeCodec.TryDecode(datagram, _key, out var packet);
        if (rejection != ProbeRejection.None)
        {
            Counters.Reject(rejection);
            Log.Rejected(_logger, from, rejection);
            return;
        }

        var changes = new List<LinkStateChange>(0);
        lock (_lock)
        {
            if (packet.Kind == ProbeKind.Request)
            {
                OnRequest(packet, from);
            }
            else
            {
                OnReply(packet, _time.GetTimestamp(), changes);
            }

            Rearm();
        }

        Raise(changes);
    }

    private void Report()
    {
        if (_reports is null)
        {
            return;
        }

        var report = new ProbeReport(_room, _time.GetUtcNow(), Snapshot());
        _ = DeliverAsync(report);

        async Task DeliverAsync(ProbeReport batch)
        {
            try
            {
                await _reports.ReportAsync(batch, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ReportFailed(_logger, e);
            }
        }
    }

    private TimeSpan Interval(PeerLink link)
    {
        var interval = link.WantsFastProbing(_options.UnhealthyLoss) ? _options.FastInterval : _options.BaseInterval;
        var stretch = 1 + (_options.IntervalJitter * ((_random.NextDouble() * 2) - 1));
        return interval * stretch;
    }

    /// <summary>Brings the next probe forward to within the fast interval if it is due later.</summary>
    private void PullIn(PeerLink link, long now)
    {
        var soon = now + Ticks(_options.FastInterval * (1 - (_options.IntervalJitter * _random.NextDouble())));
        if (link.NextSendDue > soon)
        {
            ScheduleSend(link, soon);
        }
    }

    private void ScheduleSend(PeerLink link, long due)
    {
        link.NextSendDue = due;
        _schedule.Enqueue((link, 0), due);
    }

    private void Rearm()
    {
        if (_timer is null || !_schedule.TryPeek(out _, out var due))
        {
            return;
        }

        var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private void Raise(List<LinkStateChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        Action<LinkStateChange>[] observers;
        lock (_lock)
        {
            observers = [.. _observers];
        }

        foreach (var change in changes)
        {
            foreach (var observer in observers)
            {
                try
                {
                    observer(change);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.ObserverFailed(_logger, e); // one failing subscriber must not stop probing or the others
                }
            }
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private long Microseconds(long timestamp) => (long)(timestamp * (1_000_000.0 / _time.TimestampFrequency));

    private sealed class Subscription(ProbeAgent agent, Action<LinkStateChange> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (agent._lock)
            {
                agent._observers.Remove(observer);
            }
        }
    }
}
