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
    private readonly LossBurst _burst;
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
        _burst = new LossBurst(options);

        // Distinct per start (the clock) and per agent (the seed), also in virtual time.
        _session = unchecked((uint)time.GetUtcNow().ToUnixTimeMilliseconds() ^ (uint)_random.Next());
    }

    public RoomId Room => _room;

    /// <summary>Where this agent's socket receives (peers probe it here).</summary>
    public EndPoint LocalEndPoint => _socket.LocalEndPoint;

    public ProbeCounters Counters { get; } = new();

    /// <summary>Loss bursts this agent has seen (each put every link on the fast interval for a while).</summary>
    public int LossBursts
    {
        get
        {
            lock (_lock)
            {
                return _burst.Bursts;
            }
        }
    }

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

    /// <summary>
    /// A link that was up began losing probes during a loss burst, or in the window that started it (true): its peer
    /// is probably cut off from everyone, not just from this agent, long before the link is declared down. Such a
    /// link answering again clears it (false). Raised at once, outside the agent's lock; a subscriber that throws is
    /// logged and skipped.
    /// </summary>
    public event Action<RoomId, bool>? BurstSuspicion;

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
            return _peers.Values.OrderBy(p => p.Room).Select(p => p.Describe(at)).ToList();
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

    private void RaiseBurstSuspicion(List<(RoomId Peer, bool Suspected)> suspicions)
    {
        foreach (var (peer, suspected) in suspicions)
        {
            try
            {
                BurstSuspicion?.Invoke(peer, suspected);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ObserverFailed(_logger, e);
            }
        }
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
