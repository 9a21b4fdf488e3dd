using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>One link's estimates as a relay's probe agent holds them.</summary>
internal readonly record struct LinkValues(double RttMs, double JitterMs, double Loss, bool Up, double? ForwardLoss = null)
{
    /// <summary>The loss the controller prices this directed link by (<see cref="LinkEstimate.DirectedLoss"/>).</summary>
    public double DirectedLoss => LinkEstimate.Directed(Loss, ForwardLoss);
}

/// <summary>
/// The controller in virtual time: the room grain's and the route computer grain's turns around the product's
/// own logic — <see cref="ReportAmendment"/> makes each report whole, <see cref="RouteBook"/> weighs it (what
/// moved, which links going down or back up are urgent), chooses the live rooms, holds the table while most
/// rooms are silent together, computes and versions; <see cref="RecomputeSchedule"/> says when (every
/// <see cref="RouterOptions.RecomputeInterval"/> when something moved, and soon after an urgent change, one at a time).
/// A computation runs on another core while the world goes on and is published a fixed
/// <see cref="ComputeLatency"/> of virtual time after it started, so the outcome does not depend on
/// this machine's speed.
/// </summary>
internal sealed class VirtualController
{
    private readonly RouteComputer _computer;
    private readonly RouteBook _book;
    private readonly RoomId[] _ids;

    /// <summary>Each room's record as its room grain holds it (the book may hold a lapsed room's without its links).</summary>
    private readonly RoomRecord?[] _records;
    private readonly RecomputeSchedule _schedule;
    private long? _soonUs;
    private Task<ComputedTable>? _computing;
    private long _doneUs;
    private long _startedUs;
    private long _computeTicks;

    public VirtualController(RouteComputer computer, RouterOptions options, RoomId[] ids, TimeSpan computeLatency, TimeProvider clock)
    {
        _schedule = new RecomputeSchedule(clock);
        _computer = computer;
        _book = new RouteBook(computer, options);
        _ids = ids;
        _records = new RoomRecord?[ids.Length];
        ComputeLatency = computeLatency;
    }

    /// <summary>Virtual time from a recomputation's start to its table being published.</summary>
    public TimeSpan ComputeLatency { get; }

    public RouteTable Table => _book.Table;

    public long Recomputations { get; private set; }

    /// <summary>Recomputations started by an urgent change (a link down or back up) rather than by the tick.</summary>
    public long UrgentRecomputations { get; private set; }

    /// <summary>Wall-clock seconds the computations took on the other core (for whoever tunes the engine).</summary>
    public double ComputeSeconds => Interlocked.Read(ref _computeTicks) / (double)System.Diagnostics.Stopwatch.Frequency;

    /// <summary>When the last finished computation took its inputs.</summary>
    public long ComputedFromUs { get; private set; }

    /// <summary>
    /// A room's report reached the controller, as the room grain takes it; false when it amends a report the
    /// controller does not hold (the relay is then asked for every link).
    /// </summary>
    public bool Accept(int room, RoomReport report, long nowUs)
    {
        var held = _records[room];
        if (!ReportAmendment.Amends(held?.Latest, report))
        {
            return false;
        }

        var record = new RoomRecord
        {
            Room = _ids[room].Value,
            Latest = report.Since is null ? report : ReportAmendment.Apply(held!.Latest!, report),
            LastReportAt = At(nowUs),
            Reports = (held?.Reports ?? 0) + 1,
        };
        _records[room] = record;
        _book.Accept(record);
        if (_book.UrgentChange)
        {
            RecomputeSoon(nowUs);
        }

        return true;
    }

    /// <summary>The periodic tick: recompute when something moved enough, or a room lapsed or returned.</summary>
    public void Tick(long nowUs)
    {
        var now = At(nowUs);
        _book.ForgetLinksOfLapsedRooms(now);
        if (_book.NeedsRecompute(now))
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
            Recompute(nowUs, urgent: true);
        }

        if (_computing is null || nowUs < _doneUs)
        {
            return null;
        }

        var next = _computing.GetAwaiter().GetResult();
        _computing = null;
        _schedule.Finished();
        ComputedFromUs = _startedUs;
        var published = !next.LosesEveryRoom && _book.Publish(next); // no live room: kept, as the grain keeps it
        if (_book.UrgentChange)
        {
            RecomputeSoon(nowUs); // a link went down while this one ran: not left for the next tick
        }

        return published ? _book.Table : null;
    }

    private void RecomputeSoon(long nowUs)
    {
        switch (_schedule.Urgent())
        {
            case { } wait when wait == TimeSpan.Zero:
                Recompute(nowUs, urgent: true);
                break;
            case { } wait:
                _soonUs = nowUs + (long)wait.TotalMicroseconds;
                break;
        }
    }

    private void Recompute(long nowUs, bool urgent = false)
    {
        var now = At(nowUs);
        if (_book.Holding(now, out _))
        {
            return; // most rooms fell silent together: the controller is the one cut off (the grain's rule)
        }

        if (!_schedule.TryStart())
        {
            return; // one at a time; the next tick or urgent change starts the next
        }

        UrgentRecomputations += urgent ? 1 : 0;
        Recomputations++;
        var inputs = _book.Inputs(now);
        var previous = _book.Table;
        _computing = Task.Run(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var computed = RouteBook.Compute(_computer, inputs, previous);
            Interlocked.Add(ref _computeTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            return computed;
        });
        _doneUs = nowUs + (long)ComputeLatency.TotalMicroseconds;
        _startedUs = nowUs;
    }

    /// <summary>Virtual microseconds as the controller's wall-clock type (a fixed epoch: the same in every run).</summary>
    public static DateTimeOffset At(long us) => DateTimeOffset.UnixEpoch.AddYears(56).AddTicks(us * 10);
}
