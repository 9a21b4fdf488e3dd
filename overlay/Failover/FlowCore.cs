using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Failover;

/// <summary>
/// The decisions of one flow at its ingress relay, with no I/O: which path to take, when the path carrying
/// it counts as broken, what to replay, when to move to a better primary, when to wait for a route and
/// when to give up, and when the flow is complete. A driver performs the I/O and tells the core what
/// happened (a path opened, an ack, a failure, a watchdog tick, a new table); the relay drives it with real
/// streams, the simulator's virtual engine with virtual ones, both on an injected clock.
/// </summary>
/// <remarks>Thread-safe: the relay's ack reader and watchdog call it concurrently.</remarks>
public sealed class FlowCore
{
    private readonly RoomId _self;
    private readonly Func<RouteTable> _routes;
    private readonly PathKnowledge _knowledge;
    private readonly RelayNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    /// <summary>Set by <see cref="CompleteWriting"/>: <see cref="WhenDeliveredAsync"/> waits on it.</summary>
    private readonly TaskCompletionSource _writesCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The paths that failed since the flow last got an ack through: ruled out until all are.</summary>
    private readonly List<IReadOnlyList<RoomId>> _failed = [];

    /// <summary>When each path in <see cref="_failed"/> failed (timestamps, same order).</summary>
    private readonly List<long> _failedAt = [];
    private readonly List<TimeSpan> _failoverTimes = [];
    private IReadOnlyList<RoomId> _path = [];
    private long _lastProgress;
    private long? _noRouteSince;
    private long? _closeSentAt;
    private bool _closeSentBefore;
    private long _tableSeen;

    /// <summary>Whether the current path crossed no link reported down when it was taken (a last resort may).</summary>
    private bool _takenClean;

    public FlowCore(RoomId self, RoomId destination, FlowSender sender, PathKnowledge knowledge, Func<RouteTable> routes, RelayNodeOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(knowledge);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _self = self;
        Destination = destination;
        Sender = sender;
        _knowledge = knowledge;
        _routes = routes;
        _options = options;
        _time = time;
    }

    public RoomId Destination { get; }

    /// <summary>The flow's data: numbered chunks kept until acknowledged, replayed on a new path.</summary>
    public FlowSender Sender { get; }

    /// <summary>The rooms of the path carrying the flow now (the last one taken).</summary>
    public IReadOnlyList<RoomId> CurrentPath
    {
        get
        {
            lock (_lock)
            {
                return _path;
            }
        }
    }

    /// <summary>
    /// The paths that failed this round, ruled out for failover until all are (a path that had carried the flow
    /// failing starts a new round); a move back to one waits <see cref="RelayNodeOptions.FailedPathHold"/>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<RoomId>> FailedPaths
    {
        get
        {
            lock (_lock)
            {
                return [.. _failed];
            }
        }
    }

    /// <summary>How long the current path may take to its first ack (see <c>SetupPatience</c>): from the ack timeout up to <see cref="RelayNodeOptions.PathSetupTimeout"/>.</summary>
    public TimeSpan SetupPatienceNow { get; private set; }

    /// <summary>Whether the current path has returned an ack.</summary>
    public bool PathEstablished { get; private set; }

    /// <summary>When delivery stopped (the last ack before a silence, or when a break was detected), until the first ack on a new path.</summary>
    public long? FaultAt { get; private set; }

    /// <summary>Paths the flow left because they failed.</summary>
    public int Failovers { get; private set; }

    /// <summary>Times the flow left a working path for a better primary from a new route table.</summary>
    public int Moves { get; private set; }

    /// <summary>Times a new route table's primary replaced a path still being set up during a failover (<see cref="ConsiderRescue"/>).</summary>
    public int Rescues { get; private set; }

    /// <summary>Each failover: from the fault to the first ack on the new path (the delivery gap the far end saw).</summary>
    public IReadOnlyList<TimeSpan> FailoverTimes
    {
        get
        {
            lock (_lock)
            {
                return [.. _failoverTimes];
            }
        }
    }

    /// <summary>The first chunk the current path carries: what the egress has not acknowledged (it drops what it already delivered).</summary>
    public ulong ResumeFrom { get; private set; }

    /// <summary>The writer finished: the flow completes once everything is acknowledged and its end confirmed.</summary>
    public bool WritesDone { get; private set; }

    /// <summary>The writer is done and everything it wrote is acknowledged (the end itself may still be unconfirmed).</summary>
    public bool Delivered
    {
        get
        {
            lock (_lock)
            {
                return WritesDone && Sender.Acknowledged == Sender.ChunksWritten;
            }
        }
    }

    /// <summary>Raised when a failover is over (the first ack on the new path), with how long delivery stopped.</summary>
    public event Action<TimeSpan>? FailoverCompleted;

    /// <summary>True when the writer never closed the flow (its connection ended first): the far end is told it was cut off.</summary>
    public bool CutOff { get; private set; }

    /// <summary>No more data will be written; the first call says whether the writer closed the flow or was <paramref name="cutOff"/>.</summary>
    public void CompleteWriting(bool cutOff = false)
    {
        lock (_lock)
        {
            CutOff = WritesDone ? CutOff : cutOff;
            WritesDone = true;
        }

        _writesCompleted.TrySetResult();
    }

    /// <summary>
    /// Completes once the writer is done and everything it wrote is acknowledged: the moment the flow's end may be sent,
    /// which the ingress then sends at once (<see cref="Tick"/> says <see cref="WatchdogAction.SendClose"/>) instead of at
    /// its next watchdog tick, up to a tick later.
    /// </summary>
    public async Task WhenDeliveredAsync(CancellationToken cancellationToken)
    {
        await _writesCompleted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await Sender.WhenAllAcknowledgedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The path to take next: the route table's choice under what this relay knows (<see cref="PathChoice"/>),
    /// or, while the table has no route to the destination, a wait of its own before asking again, and after
    /// <see cref="RelayNodeOptions.NoRouteGrace"/> the end of the flow.
    /// </summary>
    public NextPath ChooseNext()
    {
        lock (_lock)
        {
            RoomId[] path;
            try
            {
                path = Choose();
            }
            catch (NoRouteException e)
            {
                _noRouteSince ??= _time.GetTimestamp();
                return _time.GetElapsedTime(_noRouteSince.Value) >= _options.NoRouteGrace
                    ? new NextPath(null, TimeSpan.Zero, e)
                    : new NextPath(null, 4 * _options.WatchdogInterval, null);
            }

            _noRouteSince = null;
            if (_failed.Any(f => f.SequenceEqual(path)))
            {
                ClearFailed(); // every candidate failed: a new round, from the best
            }

            Take(path);
            return new NextPath(path, TimeSpan.Zero, null);
        }
    }

    /// <summary>
    /// The current path is open (its Open frame is on its way, replaying from <see cref="ResumeFrom"/>). When
    /// nothing was waiting for an ack, a failover in progress is over now.
    /// </summary>
    public void Opened()
    {
        lock (_lock)
        {
            _lastProgress = _time.GetTimestamp();
            if (FaultAt is { } fault && Sender.Acknowledged == Sender.ChunksWritten)
            {
                FailoverDone(fault);
            }
        }
    }

    /// <summary>An ack came back on the current path: the egress expects <paramref name="nextExpected"/> next.</summary>
    /// <returns>Whether it acknowledged something new.</returns>
    public bool Acked(ulong nextExpected)
    {
        lock (_lock)
        {
            var before = Sender.Acknowledged;
            Sender.Acknowledge(nextExpected);
            PathEstablished = true;
            if (Sender.Acknowledged <= before)
            {
                return false;
            }

            _lastProgress = _time.GetTimestamp();
            if (FaultAt is { } fault)
            {
                FailoverDone(fault);
            }

            return true;
        }
    }

    /// <summary>A break of the current path was detected now (delivery counts as stopped from here unless it stopped earlier).</summary>
    public void Faulted()
    {
        lock (_lock)
        {
            FaultAt ??= _time.GetTimestamp();
        }
    }

    /// <summary>
    /// The current path failed: it is ruled out for this round (a path that had worked clears older
    /// failures), a relay named as lost is avoided by every flow, and the path to try next is chosen.
    /// </summary>
    /// <param name="lost">The room whose relay could not be reached (a dead first hop, or one a transit relay named).</param>
    public Failover PathFailed(RoomId? lost)
    {
        lock (_lock)
        {
            FaultAt ??= _time.GetTimestamp();
            Failovers++;
            if (PathEstablished)
            {
                ClearFailed(); // the path worked for a while: earlier failures are old news
            }

            _failed.Add(_path);
            _failedAt.Add(_time.GetTimestamp());
            if (lost is { } room)
            {
                _knowledge.Unreachable(room);
            }

            RoomId[]? next;
            try
            {
                next = Choose();
            }
            catch (NoRouteException)
            {
                next = null;
            }

            // Nothing untried is left: pause before the next round (the controller's next table may fix it).
            return new Failover(next, next is null || _failed.Any(f => f.SequenceEqual(next)));
        }
    }

    /// <summary>
    /// One relay of a room on the current path failed, and another relay of that room can take its place: a
    /// failover that keeps the path (nothing is ruled out; the next choice replays from the last ack).
    /// </summary>
    public void NodeFailed()
    {
        lock (_lock)
        {
            FaultAt ??= _time.GetTimestamp();
            Failovers++;
        }
    }

    /// <summary>Whether the current path crosses the link (a down signal for it breaks the path).</summary>
    public bool Crosses(RoomId from, RoomId to)
    {
        var path = CurrentPath;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (path[i] == from && path[i + 1] == to)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The watchdog, every <see cref="RelayNodeOptions.WatchdogInterval"/> while a path carries the flow.</summary>
    public WatchdogVerdict Tick()
    {
        lock (_lock)
        {
            var allAcked = Sender.Acknowledged == Sender.ChunksWritten;
            if (_closeSentAt is null && WritesDone && allAcked)
            {
                _closeSentAt = _time.GetTimestamp();
                _closeSentBefore = true;
                return new WatchdogVerdict(WatchdogAction.SendClose, TimeSpan.Zero);
            }

            if (_closeSentAt is { } sentAt && _time.GetElapsedTime(sentAt) > _options.CloseTimeout)
            {
                // Everything was acknowledged, but the end must reach the subscriber too: say it again on another path.
                return new WatchdogVerdict(WatchdogAction.CloseUnconfirmed, _time.GetElapsedTime(sentAt));
            }

            if (!PathEstablished && _takenClean && PathChoice.CrossesDownLink(_path, _knowledge.IsDown))
            {
                // Taken clean, it now crosses a link reported down (a region's rooms suspected in a loss burst): the
                // first ack will not come, so its set-up patience is not waited out.
                FaultAt ??= _lastProgress;
                return new WatchdogVerdict(WatchdogAction.CrossesDownLink, _time.GetElapsedTime(_lastProgress));
            }

            var stalled = _time.GetElapsedTime(_lastProgress);
            var patience = PathEstablished ? _options.AckTimeout : SetupPatienceNow;
            var idle = allAcked || Sender.WaitingOnSubscriber; // a subscriber behind is not a broken path
            if (!idle && stalled > patience)
            {
                FaultAt ??= _lastProgress; // delivery stopped at the last ack, not when the silence was noticed
                return new WatchdogVerdict(WatchdogAction.Stalled, stalled);
            }

            if (idle)
            {
                _lastProgress = _time.GetTimestamp(); // idle, not stalled
            }

            return new WatchdogVerdict(WatchdogAction.Carry, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// The far end confirmed the flow's end; false when no end was sent on any path (a protocol error). An end sent
    /// on an earlier path counts: a flow that moved or failed over before the confirmation came may hear it on
    /// the next path before saying the end again there (the egress answers a resumed, finished flow at once).
    /// </summary>
    public bool CloseConfirmed()
    {
        lock (_lock)
        {
            return _closeSentAt is not null || _closeSentBefore;
        }
    }

    /// <summary>
    /// The route table may have changed: when it did, the flow runs well on its path and the table's primary
    /// for the pair is another usable path, the flow moves there: the driver leaves the path and asks
    /// <see cref="ChooseNext"/>, which gives that primary, and replays what is unacknowledged on it. Null to stay.
    /// </summary>
    public RoomId[]? ConsiderMove()
    {
        lock (_lock)
        {
            var table = _routes();
            if (!PathEstablished || FaultAt is not null || (table.Version == _tableSeen && !HoldEnded()))
            {
                return null;
            }

            _tableSeen = table.Version;

            // A path that failed long enough ago may be returned to (its links' state, from the probes, still decides).
            for (var i = _failed.Count - 1; i >= 0; i--)
            {
                if (_time.GetElapsedTime(_failedAt[i]) >= _options.FailedPathHold)
                {
                    _failed.RemoveAt(i);
                    _failedAt.RemoveAt(i);
                }
            }

            if (PathChoice.BetterPrimary(table, _self, Destination, _path, _failed, _knowledge.IsDown) is not { } better)
            {
                return null;
            }

            Moves++;
            return better;
        }
    }

    /// <summary>
    /// A route table that came while the flow is failing over, before the path being tried has returned an ack:
    /// when the table's primary for the pair is another path, not failed this round and crossing no link reported
    /// down, the flow takes it now instead of waiting out the attempt's set-up patience. The controller made that
    /// table knowing links declared down since the attempt began (a partition's whole extent, where the attempt
    /// chose among paths this relay alone could judge). Each table is weighed once; the driver leaves the attempt
    /// and asks <see cref="ChooseNext"/>, which gives that primary. The failover goes on: its time counts from the fault.
    /// </summary>
    public RoomId[]? ConsiderRescue()
    {
        lock (_lock)
        {
            var table = _routes();
            if (PathEstablished || FaultAt is null || table.Version == _tableSeen)
            {
                return null;
            }

            _tableSeen = table.Version;
            if (PathChoice.BetterPrimary(table, _self, Destination, _path, _failed, _knowledge.IsDown) is not { } rescue)
            {
                return null;
            }

            Rescues++;
            return rescue;
        }
    }

    /// <summary>Whether a failed path's hold has ended since the last look (worth weighing a move without a new table).</summary>
    private bool HoldEnded()
    {
        foreach (var at in _failedAt)
        {
            if (_time.GetElapsedTime(at) >= _options.FailedPathHold)
            {
                return true;
            }
        }

        return false;
    }

    private void ClearFailed()
    {
        _failed.Clear();
        _failedAt.Clear();
    }

    private RoomId[] Choose() => PathChoice.Choose(_routes(), _self, Destination, _failed, _knowledge.IsDown, _knowledge.LiveLinks);

    private void Take(RoomId[] path)
    {
        _path = path;
        ResumeFrom = Sender.Rewind();
        PathEstablished = false;
        _closeSentAt = null;
        var table = _routes();
        _tableSeen = table.Version;
        SetupPatienceNow = SetupPatience(table, path);
        _lastProgress = _time.GetTimestamp();
        _takenClean = !PathChoice.CrossesDownLink(path, _knowledge.IsDown);
    }

    /// <summary>
    /// How long a new path may take to its first ack: the Open crossing it and the ack coming back (one round trip
    /// of the path), a dial at each hop that has no connection yet (about two more), and the ack timeout on top;
    /// never more than <see cref="RelayNodeOptions.PathSetupTimeout"/>, which is also the patience for a path
    /// whose cost the table does not give (a local detour). A hop silently cut after the table was made then costs
    /// a failover well inside a second on most paths, not the full set-up timeout.
    /// </summary>
    private TimeSpan SetupPatience(RouteTable table, RoomId[] path)
    {
        var route = table.Contains(_self) && table.Contains(Destination) ? table.Find(_self, Destination) : null;
        double? cost = route is null ? null
            : route.Primary.AsSpan().SequenceEqual(path) ? route.Cost
            : route.Backup is { } backup && backup.AsSpan().SequenceEqual(path) ? route.BackupCost
            : null;
        if (cost is not { } roundTripMs || !double.IsFinite(roundTripMs))
        {
            return _options.PathSetupTimeout;
        }

        var patience = _options.AckTimeout + TimeSpan.FromMilliseconds(3 * roundTripMs);
        return patience < _options.PathSetupTimeout ? patience : _options.PathSetupTimeout;
    }

    private void FailoverDone(long fault)
    {
        var took = _time.GetElapsedTime(fault);
        _failoverTimes.Add(took);
        FaultAt = null;
        FailoverCompleted?.Invoke(took);
    }
}

/// <summary>What <see cref="FlowCore.ChooseNext"/> decided: a path to open, or a wait before asking again, or the end of the flow (no route for too long).</summary>
public readonly record struct NextPath(RoomId[]? Path, TimeSpan RetryAfter, NoRouteException? GiveUp);

/// <summary>What <see cref="FlowCore.PathFailed"/> decided: the next path, and whether to pause before taking it (every candidate failed this round).</summary>
public readonly record struct Failover(RoomId[]? Next, bool PauseFirst);

/// <summary>What the watchdog asks of the driver.</summary>
public enum WatchdogAction
{
    /// <summary>Nothing: the path carries the flow.</summary>
    Carry,

    /// <summary>Everything written is acknowledged and the writer is done: send the flow's end on this path.</summary>
    SendClose,

    /// <summary>The end was sent and not confirmed in time: the path counts as failed.</summary>
    CloseUnconfirmed,

    /// <summary>No ack progress for longer than the path's patience: the path counts as failed.</summary>
    Stalled,

    /// <summary>The path, not yet acknowledged, now crosses a link reported down: it counts as failed.</summary>
    CrossesDownLink,
}

/// <summary>The watchdog's verdict, with how long the path has been silent (or the end unconfirmed).</summary>
public readonly record struct WatchdogVerdict(WatchdogAction Action, TimeSpan Silence);
