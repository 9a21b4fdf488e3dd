namespace Msdn.Router.Routing;

/// <summary>
/// When the route computer recomputes, apart from its periodic tick: at once when a link goes down, but at
/// most once per <see cref="MinimumGap"/> (a burst of down reports costs one recomputation, run at the end
/// of the gap), and one recomputation at a time. Sans I/O on an injected clock: the route computer grain
/// runs it with grain timers, the simulator's virtual controller in virtual time.
/// </summary>
public sealed class RecomputeSchedule(TimeProvider time)
{
    /// <summary>
    /// Urgent recomputations (a link down) come at most this often. New rooms wait for the tick: recomputing
    /// for each of hundreds of rooms joining would starve the reports.
    /// </summary>
    public static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(100);

    private long? _lastStarted;
    private bool _pending;

    /// <summary>Whether a recomputation is running.</summary>
    public bool Computing { get; private set; }

    /// <summary>
    /// A link went down: <see cref="TimeSpan.Zero"/> to recompute now, else how long until the gap allows it
    /// (the caller arranges to call <see cref="PendingDue"/> then); null when one is already pending.
    /// </summary>
    public TimeSpan? Urgent()
    {
        var since = _lastStarted is { } last ? time.GetElapsedTime(last) : TimeSpan.MaxValue;
        if (since >= MinimumGap)
        {
            return TimeSpan.Zero;
        }

        if (_pending)
        {
            return null;
        }

        _pending = true;
        return MinimumGap - since;
    }

    /// <summary>The pending urgent recomputation's time came: it runs now.</summary>
    public void PendingDue() => _pending = false;

    /// <summary>Starts a recomputation unless one is running.</summary>
    public bool TryStart()
    {
        if (Computing)
        {
            return false; // the next tick or down report starts the next
        }

        Computing = true;
        _lastStarted = time.GetTimestamp();
        return true;
    }

    /// <summary>The recomputation ended (published or not).</summary>
    public void Finished() => Computing = false;
}
