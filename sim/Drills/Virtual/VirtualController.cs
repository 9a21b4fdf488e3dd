using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>One link's estimates as a relay reports them.</summary>
internal readonly record struct LinkValues(double RttMs, double JitterMs, double Loss, bool Up, double? ForwardLoss = null)
{
    /// <summary>The loss the controller prices this directed link by (<see cref="LinkEstimate.DirectedLoss"/>).</summary>
    public double DirectedLoss => LinkEstimate.Directed(Loss, ForwardLoss);
}

/// <summary>
/// The controller in virtual time: the route computer grain's schedule (a recomputation every
/// <see cref="RouterOptions.RecomputeInterval"/> when something moved, and the grain's own
/// <see cref="RecomputeSchedule"/> for a link going down, one at a time) around the real route logic —
/// <see cref="Msdn.Graph.Costs.LinkDrift"/> decides what moved, <see cref="RouteBook.Compute"/> computes the table
/// from room records built as the grain would see them, <see cref="RouteBook.Publish"/> versions it, and
/// <see cref="CutOffGuard"/> holds the table while most rooms are silent together.
/// A computation runs on another core while the world goes on and is published a fixed
/// <see cref="ComputeLatency"/> of virtual time after it started, so the outcome does not depend on
/// this machine's speed.
/// </summary>
internal sealed class VirtualController
{
    private readonly RouteComputer _computer;
    private readonly RouterOptions _options;
    private readonly RouteBook _book;
    private readonly RoomId[] _ids;
    private readonly LinkValues[]?[] _latest;
    private readonly LinkValues[]?[] _used;

    /// <summary>Links that went down while up in the room's previous report: their coming back is urgent (RouteBook's rule).</summary>
    private readonly bool[] _wentDown;
    private readonly long[] _lastReportUs;
    private bool _dirty = true;
    private bool _urgent;
    private int _liveAtLast = -1;
    private readonly RecomputeSchedule _schedule;
    private readonly CutOffGuard _cutOff;
    private long? _soonUs;
    private Task<ComputedTable>? _computing;
    private long _doneUs;
    private long _startedUs;
    private long _computeTicks;

    public VirtualController(RouteComputer computer, RouterOptions options, RoomId[] ids, TimeSpan computeLatency, TimeProvider clock)
    {
        _schedule = new RecomputeSchedule(clock);
        _cutOff = new CutOffGuard(options.FirstTableAfter);
        _computer = computer;
        _options = options;
        _book = new RouteBook(computer, options);
        _ids = ids;
        _latest = new LinkValues[]?[ids.Length];
        _used = new LinkValues[]?[ids.Length];
        _wentDown = new bool[ids.Length * ids.Length];
        _lastReportUs = new long[ids.Length];
        ComputeLatency = computeLatency;
    }

    /// <summary>Virtual time from a recomputation's start to its table being published.</summary>
    public TimeSpan ComputeLatency { get; }

    public RouteTable Table => _book.Table;

    public long Recomputations { get; private set; }

    /// <summary>Recomputations started by a link going down rather than by the tick.</summary>
    public long UrgentRecomputations { get; private set; }

    /// <summary>Wall-clock seconds the computations took on the other core (for whoever tunes the engine).</summary>
    public double ComputeSeconds => Interlocked.Read(ref _computeTicks) / (double)System.Diagnostics.Stopwatch.Frequency;

    /// <summary>When the last finished computation took its inputs.</summary>
    public long ComputedFromUs { get; private set; }

    /// <summary>A room's report reached the controller: <paramref name="values"/> is its view of the room's links, amended by the report.</summary>
    public void Accept(int room, LinkValues[] values, long nowUs)
    {
        var previous = _latest[room];
        _dirty |= previous is null;
        var used = _used[room];
        for (var b = 0; b < values.Length; b++)
        {
            var v = values[b];
            if (v.Up)
            {
                // Once something moved, the rest need not be weighed (a quarter of a million links a second); a link going down still must.
                _dirty = _dirty || used is null || !used[b].Up || Msdn.Graph.Costs.LinkDrift.Moved(used[b].RttMs, used[b].JitterMs, used[b].DirectedLoss, v.RttMs, v.JitterMs, v.DirectedLoss, _computer.Costs.Options);
                if (_wentDown[(room * values.Length) + b])
                {
                    _wentDown[(room * values.Length) + b] = false;
                    _urgent = _dirty = true; // back up, as RouteBook has it
                }
            }
            else if (previous is not null && previous[b].Up)
            {
                _urgent = _dirty = true;
                _wentDown[(room * values.Length) + b] = true;
            }
        }

        _latest[room] = values;
        _lastReportUs[room] = nowUs;
        _cutOff.Heard(At(nowUs));
        if (_urgent)
        {
            RecomputeSoon(nowUs);
        }
    }

    /// <summary>The periodic tick: recompute when something moved enough, or a room lapsed or returned.</summary>
    public void Tick(long nowUs)
    {
        if (_dirty || _urgent || LiveCount(nowUs) != _liveAtLast)
        {
            Recompute(nowUs);
        }
    }

    /// <summary>Whether <see cref="Poll"/> will publish a computation now (and wait for it if it has not finished).</summary>
    public bool Publishing(long nowUs) => _computing is not null && nowUs >= _doneUs;

    /// <summary>Runs what is due now: a debounced urgent recomputation, or publishing a finished one (returns the new table when its paths changed).</summary>
    public RouteTable? Poll(long nowUs)
    {
        if (_soonUs is { } soon && nowUs >= soon)
        {
            _soonUs = null;
            _schedule.PendingDue();
            UrgentRecomputations += _schedule.Computing ? 0 : 1;
            Recompute(nowUs);
        }

        if (_computing is null || nowUs < _doneUs)
        {
            return null;
        }

        var next = _computing.GetAwaiter().GetResult();
        _computing = null;
        _schedule.Finished();
        ComputedFromUs = _startedUs;
        if (next.LosesEveryRoom)
        {
            return null; // no live room: kept, as the grain keeps it
        }

        return _book.Publish(next) ? _book.Table : null;
    }

    private void RecomputeSoon(long nowUs)
    {
        switch (_schedule.Urgent())
        {
            case { } wait when wait == TimeSpan.Zero:
                UrgentRecomputations += _schedule.Computing ? 0 : 1;
                Recompute(nowUs);
                break;
            case { } wait:
                _soonUs = nowUs + (long)wait.TotalMicroseconds;
                break;
        }
    }

    private void Recompute(long nowUs)
    {
        var silent = _book.Table.Rooms.Count(room => nowUs - _lastReportUs[ScenarioLoader.RoomIndex(room.Value)] >= _options.StaleAfter.TotalMicroseconds);
        _cutOff.Observe(_book.Table.Rooms.Length, silent);
        if (_cutOff.Holding(At(nowUs)))
        {
            return; // most rooms fell silent together: the controller is the one cut off (the grain's rule)
        }

        if (!_schedule.TryStart())
        {
            return; // one at a time; the next tick or down report starts the next
        }

        _urgent = _dirty = false;
        var live = new List<(int Room, LinkValues[] Values, long LastReportUs)>();
        for (var room = 0; room < _ids.Length; room++)
        {
            var isLive = IsLive(room, nowUs);
            _used[room] = isLive ? _latest[room] : null;
            if (isLive)
            {
                live.Add((room, _latest[room]!, _lastReportUs[room]));
            }
        }

        _liveAtLast = live.Count;
        Recomputations++;
        var previous = _book.Table;

        // The room records (a quarter of a million link estimates) are built on the computing core too: a report's values are never changed after it arrives.
        _computing = Task.Run(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var records = new RoomRecord[live.Count];
            Parallel.For(0, records.Length, new ParallelOptions { MaxDegreeOfParallelism = _computer.Parallelism }, i =>
                records[i] = new RoomRecord { Room = _ids[live[i].Room].Value, Latest = Report(live[i].Room, live[i].Values), LastReportAt = At(live[i].LastReportUs) });
            var computed = RouteBook.Compute(_computer, new RouteInputs(records), previous);
            Interlocked.Add(ref _computeTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            return computed;
        });
        _doneUs = nowUs + (long)ComputeLatency.TotalMicroseconds;
        _startedUs = nowUs;
    }

    private int LiveCount(long nowUs)
    {
        var live = 0;
        for (var room = 0; room < _ids.Length; room++)
        {
            live += IsLive(room, nowUs) ? 1 : 0;
        }

        return live;
    }

    /// <summary>Not unreachable: it has reported, and not longer ago than <see cref="RouterOptions.UnreachableAfter"/> (as <c>RoomRecord.Liveness</c> has it).</summary>
    private bool IsLive(int room, long nowUs) => _latest[room] is not null && nowUs - _lastReportUs[room] < _options.UnreachableAfter.TotalMicroseconds;

    private RoomReport Report(int room, LinkValues[] values)
    {
        var links = new List<LinkEstimate>(values.Length);
        for (var b = 0; b < values.Length; b++)
        {
            if (b != room)
            {
                var v = values[b];
                links.Add(new LinkEstimate { Peer = _ids[b].Value, RttMs = v.RttMs, JitterMs = v.JitterMs, Loss = v.Loss, Up = v.Up, ForwardLoss = v.ForwardLoss });
            }
        }

        return new RoomReport { RelayEndpoint = $"{_ids[room].Value}:7000", Links = links };
    }

    /// <summary>Virtual microseconds as the controller's wall-clock type (a fixed epoch: the same in every run).</summary>
    public static DateTimeOffset At(long us) => DateTimeOffset.UnixEpoch.AddYears(56).AddTicks(us * 10);
}
