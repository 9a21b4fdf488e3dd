using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Hosting;
using Msdn.Overlay.Relay;
using Msdn.Probe.Agent;
using Msdn.Probe.Detection;

namespace Msdn.Overlay.Control;

/// <summary>
/// The relay's control link: reports out (every interval, and at once when the probe agent declares a link
/// down or up; each carries only the news, <see cref="ReportNews{TKey}"/>) and route tables in (long-polling for the next version, applying diffs). Each exchange
/// goes to the controller directly, or through a peer relay's control tunnel when the direct path fails
/// (<see cref="ControlTunnel"/>); while neither works the relay keeps forwarding on its last table and
/// <see cref="Status"/> says so.
/// </summary>
public sealed partial class ControllerClient : IAsyncDisposable
{
    public static readonly TimeSpan LongPollWait = TimeSpan.FromSeconds(20);

    /// <summary>How soon the relay polls again after the controller was unreachable or sent a table it could not use.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a report (or the slack beyond a long-poll's wait) may take before the channel counts as failed.</summary>
    public static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(2);

    private readonly ControllerEndpoints _endpoints;
    private readonly RelayNode _node;
    private readonly RouteTableStore _routes;
    private readonly ProbeAgent? _probe;
    private readonly Func<RelayReportBody> _status;
    private readonly TimeProvider _time;
    private readonly TimeSpan _reportInterval;
    private readonly ReportNews<string> _news;
    private readonly RouteInterest _interest;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _reportNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IDisposable? _following;
    private Task? _reporting;
    private Task? _polling;
    private Task? _followingDirectory;
    private readonly PeerDirectory? _directory;
    private readonly Security.CertificateRenewal? _renewal;
    private readonly TaskCompletionSource _firstCertificate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _renewing;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _errorsLogged = new();
    private volatile ControllerStatus _statusNow = new(ControllerStatus.Unreachable, null, 0, "not started");

    /// <summary>Cancelled when a flow opens to a room the routes held do not cover: the long-poll in progress starts over.</summary>
    private CancellationTokenSource? _newInterest;

    /// <summary>The destinations the routes held cover from everywhere (null: all), as the poll loop last set them.</summary>
    private IReadOnlySet<RoomId>? _heldInterest;

    public ControllerClient(ControllerEndpoints endpoints, RelayNode node, RouteTableStore routes, ProbeAgent? probe, Func<RelayReportBody> status, TimeProvider time, TimeSpan reportInterval, TimeSpan reportRefreshInterval, ILogger<ControllerClient> logger, PeerDirectory? directory = null, Security.CertificateRenewal? renewal = null)
    {
        _directory = directory;
        _renewal = renewal;
        _endpoints = endpoints;
        _node = node;
        _routes = routes;
        _probe = probe;
        _status = status;
        _time = time;
        _reportInterval = reportInterval;
        _interest = new RouteInterest(() => node.IngressFlows.Select(f => f.Destination), time);
        _news = new ReportNews<string>(reportRefreshInterval, time, new Random(System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue)), System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue) * (long)int.MaxValue);
        _logger = logger;
        _following = probe?.Subscribe(OnLinkStateChanged);
        _node.StateChanged += OnStateChanged;
        _node.DataLinkChanged += OnDataLinkChanged;
        _node.FlowOpened += OnFlowOpened;
    }

    public ControllerStatus Status => _statusNow;

    public void Start()
    {
        if (_renewal is { } renewal)
        {
            _renewing = Task.Run(() => RenewLoopAsync(renewal));
        }
        else
        {
            _firstCertificate.TrySetResult();
        }

        _reporting = Task.Run(ReportLoopAsync);
        _polling = Task.Run(PollLoopAsync);
        if (_directory is { } directory)
        {
            _followingDirectory = Task.Run(() => FollowDirectoryAsync(directory));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _following?.Dispose();
        _node.StateChanged -= OnStateChanged;
        _node.DataLinkChanged -= OnDataLinkChanged;
        _node.FlowOpened -= OnFlowOpened;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _reporting, _polling, _followingDirectory, _renewing })
        {
            if (loop is not null)
            {
                try
                {
                    await loop.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        _stopping.Dispose();
    }

    private void OnStateChanged(Lifecycle.RelayState state) => ReportSoon();

    private void OnDataLinkChanged(Graph.Topology.RoomId peer, bool usable)
    {
        if (!usable)
        {
            _endpoints.PeerLost(peer);
        }

        ReportSoon();
    }

    private void OnLinkStateChanged(LinkStateChange change)
    {
        if (change.State != LinkState.Up)
        {
            _endpoints.PeerLost(change.To);
        }

        ReportSoon();
    }

    private void ReportSoon() => Volatile.Read(ref _reportNow).TrySetResult();

    private async Task ReportLoopAsync()
    {
        // The first report registers the certificate the CA signed, not the one it replaces a moment later (peers would connect, then cut).
        try
        {
            await _firstCertificate.Task.WaitAsync(ReportTimeout, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            return;
        }

        while (!_stopping.IsCancellationRequested)
        {
            var plan = _news.Next(Readings());
            var body = _status() with
            {
                Links = plan.Links.Select(l => new LinkEstimateBody(l.Peer, l.Reading.RttMs, l.Reading.JitterMs, l.Reading.Loss, l.Reading.Up, l.Reading.ForwardLoss)).ToList(),
                Sequence = plan.Sequence,
                Since = plan.Since,
                Gone = plan.Gone.Count > 0 ? plan.Gone : null,
            };
            var reply = await ExchangeAsync((channel, token) => channel.ReportAsync(_node.Room.Value, body, token), ReportTimeout).ConfigureAwait(false);
            if (reply.RoomLoad is { } roomLoad)
            {
                _node.ObserveLoad(roomLoad); // the room's relays are busy: a draining relay here goes back to serving
            }

            switch (reply.Reception)
            {
                case ReportReception.Taken:
                    _news.Taken(plan);
                    break;
                case ReportReception.FullWanted:
                    _news.FullWanted();
                    Log.FullReportWanted(_logger, _node.Room, plan.Since ?? 0);
                    continue; // at once: the controller has nothing of this relay's to amend
            }

            // The next report at the interval, or at once when the probe agent declares a link down or up.
            var soon = Volatile.Read(ref _reportNow).Task;
            try
            {
                await Task.WhenAny(soon, Task.Delay(_reportInterval, _time, _stopping.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (soon.IsCompleted)
            {
                Interlocked.Exchange(ref _reportNow, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    private IEnumerable<(string Peer, LinkReading Reading)> Readings() =>
        _probe?.Snapshot()
            .Where(l => l.ProbesSent > 0)
            .Select(l => (l.Peer.Value, new LinkReading(l.Quality.RttMs, l.Quality.JitterMs, l.Quality.Loss, l.ForwardLoss, l.State == LinkState.Up && l.RepliesReceived > 0 && _node.CanCarryTo(l.Peer))))
        ?? [];

    /// <summary>
    /// Long-polls for tables newer than the one held: the relay's own row and the routes into the rooms its flows go
    /// to (<see cref="RouteInterest"/>), as diffs; whole again when it starts or takes an interest in a new room. The table held stays in force through anything the
    /// controller says short of a new table: it restarted without its state (its versions start again: fetch
    /// its table whole), it has no table yet, or it sent one that cannot be applied (edge autonomy).
    /// </summary>
    private async Task PollLoopAsync()
    {
        long? since = null; // fetch whole first: what the table on disk was restricted to is not known
        IReadOnlySet<RoomId>? held = null; // the destinations the table held has routes into from everywhere (null: all)
        while (!_stopping.IsCancellationRequested)
        {
            // Published before the interest is read: a flow opened from here on cuts this poll short.
            var newInterest = new CancellationTokenSource();
            Interlocked.Exchange(ref _newInterest, newInterest)?.Dispose();
            var known = _routes.Current;
            var wanted = _interest.Now();
            if (!RouteInterest.Covers(held, wanted))
            {
                since = null; // a new destination: its routes from everywhere come with the (restricted) table whole
            }

            var asked = since;
            var answer = await ExchangeAsync<RoutesAnswer?>(async (channel, token) => await channel.RoutesAsync(_node.Room.Value, asked, LongPollWait, wanted, token).ConfigureAwait(false), LongPollWait + ReportTimeout, newInterest.Token).ConfigureAwait(false);
            if (answer is null)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                if (newInterest.IsCancellationRequested)
                {
                    continue; // a flow to a room not asked for: ask again, for it too, now
                }

                await Task.Delay(RetryDelay, _time, _stopping.Token).ConfigureAwait(false); // unreachable: try again soon
                continue;
            }

            try
            {
                var table = answer.Value.Kind switch
                {
                    RoutesAnswerKind.Full => RouteTableCodec.Decode(answer.Value.Body),
                    RoutesAnswerKind.Diff => RouteTableCodec.DecodeDiff(answer.Value.Body, known).ApplyTo(known),
                    RoutesAnswerKind.Restarted => null,
                    _ => known,
                };
                if (table is null)
                {
                    since = null;
                    Log.ControllerRestarted(_logger, _node.Room, known.Version);
                }
                else if (table.Rooms.Length == 0 && known.Rooms.Length > 0)
                {
                    // A controller with no table yet (it just started without its state): wait for its first.
                    since = table.Version;
                }
                else
                {
                    if (table.Version != known.Version || asked is null)
                    {
                        _routes.Replace(table);
                        Log.NewTable(_logger, _node.Room, table.Version, _statusNow.Via);
                    }

                    since = table.Version;
                }

                held = answer.Value.Kind == RoutesAnswerKind.Full ? wanted : held is null ? wanted : wanted?.Intersect(held).ToHashSet() ?? held;
                Volatile.Write(ref _heldInterest, held);
            }
            catch (Exception e) when (e is RouteTableFormatException or RouteTableVersionException)
            {
                Log.BadTable(_logger, _node.Room, e.Message);
                since = null;
                await Task.Delay(RetryDelay, _time, _stopping.Token).ConfigureAwait(false); // not in a loop with a controller that keeps sending it
            }
        }
    }

    /// <summary>
    /// Long-polls the controller's relay directory for changes since the version held, and applies them: peers
    /// that join are reachable and trusted, peers that leave are not, with no restart. While the controller
    /// cannot be reached the directory held (and kept on disk) stays in force.
    /// </summary>
    private async Task FollowDirectoryAsync(PeerDirectory directory)
    {
        while (!_stopping.IsCancellationRequested)
        {
            long? since = directory.Version == 0 ? null : directory.Version;
            var answer = await ExchangeAsync<DirectoryAnswerBody?>(async (channel, token) => await channel.DirectoryAsync(_node.Room.Value, since, LongPollWait, token).ConfigureAwait(false), LongPollWait + ReportTimeout).ConfigureAwait(false);
            if (answer is null)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(RetryDelay, _time, _stopping.Token).ConfigureAwait(false); // unreachable: try again soon
                continue;
            }

            if (answer.Full || answer.Version != since)
            {
                directory.Apply(answer);
                Log.NewDirectory(_logger, _node.Room, answer.Version, directory.Peers.Count);
            }
        }
    }

    /// <summary>
    /// Keeps this relay's certificate signed by the controller's cluster CA: asks at once while it holds none,
    /// then at two thirds of each certificate's life; a failed or refused request is tried again, backing off
    /// to a minute. Ends when the controller signs no certificates (the relay keeps its self-signed one).
    /// </summary>
    private async Task RenewLoopAsync(Security.CertificateRenewal renewal)
    {
        var backoff = RetryDelay;
        while (!_stopping.IsCancellationRequested)
        {
            var due = renewal.DueAt() - _time.GetUtcNow();
            if (due > TimeSpan.Zero)
            {
                _firstCertificate.TrySetResult();
                await Task.Delay(due, _time, _stopping.Token).ConfigureAwait(false);
                continue;
            }

            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var request = renewal.Request(key);
            var answer = await ExchangeAsync(async (channel, token) => await channel.CertificateAsync(_node.Room.Value, request, renewal.Fingerprint, token).ConfigureAwait(false), ReportTimeout).ConfigureAwait(false);
            if (answer is { ChainPem: null })
            {
                Log.NoClusterCa(_logger, _node.Room);
                _firstCertificate.TrySetResult();
                return;
            }

            if (answer is { ChainPem: { } chain })
            {
                try
                {
                    renewal.Accept(chain, key);
                    backoff = RetryDelay;
                    var fingerprint = renewal.Fingerprint;
                    var renewAt = renewal.DueAt();
                    Log.CertificateIssued(_logger, _node.Room, fingerprint, renewAt);
                    _firstCertificate.TrySetResult();
                    ReportSoon();
                    continue;
                }
                catch (Security.PeerAuthenticationException e)
                {
                    Log.CertificateNotUsed(_logger, _node.Room, e.Message);
                }
            }

            _firstCertificate.TrySetResult();
            await Task.Delay(backoff, _time, _stopping.Token).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
        }
    }

    /// <summary>
    /// A flow was opened: when the routes held do not cover its destination from everywhere (its local detours read
    /// them), the long-poll in progress is cut short so that they are asked for now, not when it ends.
    /// </summary>
    private void OnFlowOpened(RoomId destination)
    {
        if (Volatile.Read(ref _heldInterest) is not { } held || held.Contains(destination))
        {
            return;
        }

        try
        {
            Volatile.Read(ref _newInterest)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // that poll is over: the next one reads the interest afresh
        }
    }

    /// <summary>
    /// One exchange, directly or through a peer; default when nothing got through (the status says so), or when
    /// <paramref name="interrupt"/> cut it short (not a failure of the controller or the channel).
    /// </summary>
    private async Task<T?> ExchangeAsync<T>(Func<IControlChannel, CancellationToken, Task<T>> exchange, TimeSpan timeout, CancellationToken interrupt = default)
    {
        string? lastError = null;
        foreach (var channel in _endpoints.Channels())
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, _endpoints.BrokenToken(channel), interrupt);
            attempt.CancelAfter(timeout);
            try
            {
                var result = await exchange(channel, attempt.Token).ConfigureAwait(false);
                _endpoints.Succeeded(channel);
                if (_statusNow.Via != channel.Name)
                {
                    Log.ControlVia(_logger, _node.Room, channel.Name);
                }

                _statusNow = new ControllerStatus(channel.Name, _time.GetUtcNow(), _routes.Current.Version, null);
                return result;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException or Msdn.Client.Framing.FrameFormatException)
            {
                if (_stopping.IsCancellationRequested || interrupt.IsCancellationRequested)
                {
                    return default; // stopping, or asked to start over: whatever the exchange met as it was cut off is not news
                }

                _endpoints.Failed(channel);
                lastError = $"{channel.Name}: {e.Message}";
            }
        }

        if (_statusNow.Reachable || (lastError is not null && _errorsLogged.Count < 64 && _errorsLogged.TryAdd(lastError, 0)))
        {
            Log.ControllerLost(_logger, _node.Room, lastError ?? "no channel"); // on losing it, and once per distinct reason (a wrong credential from the start)
        }

        _statusNow = new ControllerStatus(ControllerStatus.Unreachable, _statusNow.LastContact, _routes.Current.Version, lastError);
        return default;
    }

    private static async Task<bool> Done(Task exchange)
    {
        await exchange.ConfigureAwait(false);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4407, Level = LogLevel.Information, Message = "Relay {Room}: the controller does not hold report {Since} (it restarted, or an answer was lost); reporting every link")]
        public static partial void FullReportWanted(ILogger logger, Graph.Topology.RoomId room, long since);

        [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Relay {Room} presents a certificate the cluster CA signed (SHA-256 {Fingerprint}) from its next handshake on; renewing at {RenewAt:u}")]
        public static partial void CertificateIssued(ILogger logger, Graph.Topology.RoomId room, string fingerprint, DateTimeOffset renewAt);

        [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "Relay {Room} did not use the controller's certificate: {Reason}")]
        public static partial void CertificateNotUsed(ILogger logger, Graph.Topology.RoomId room, string reason);

        [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "Relay {Room}: the controller signs no relay certificates; peers trust this relay by the fingerprint it registers")]
        public static partial void NoClusterCa(ILogger logger, Graph.Topology.RoomId room);

        [LoggerMessage(EventId = 4406, Level = LogLevel.Information, Message = "Relay {Room}: relay directory version {Version} from the controller ({Peers} peers)")]
        public static partial void NewDirectory(ILogger logger, Graph.Topology.RoomId room, long version, int peers);

        [LoggerMessage(EventId = 4405, Level = LogLevel.Warning, Message = "Relay {Room}: the controller's table versions restarted (it lost its state); forwarding on table {Version} until its new table arrives")]
        public static partial void ControllerRestarted(ILogger logger, Graph.Topology.RoomId room, long version);

        [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "Relay {Room}: route table version {Version} from the controller ({Via})")]
        public static partial void NewTable(ILogger logger, Graph.Topology.RoomId room, long version, string via);

        [LoggerMessage(EventId = 4402, Level = LogLevel.Warning, Message = "Relay {Room}: the controller sent an unusable table: {Reason}; fetching it whole")]
        public static partial void BadTable(ILogger logger, Graph.Topology.RoomId room, string reason);

        [LoggerMessage(EventId = 4403, Level = LogLevel.Information, Message = "Relay {Room}: control link now {Via}")]
        public static partial void ControlVia(ILogger logger, Graph.Topology.RoomId room, string via);

        [LoggerMessage(EventId = 4404, Level = LogLevel.Warning, Message = "Relay {Room}: controller unreachable ({Reason}); forwarding on the last route table")]
        public static partial void ControllerLost(ILogger logger, Graph.Topology.RoomId room, string reason);
    }
}
