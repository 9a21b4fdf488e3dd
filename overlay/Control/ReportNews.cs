using Msdn.Graph.Costs;

namespace Msdn.Overlay.Control;

/// <summary>One link's estimate as a report gives it.</summary>
public readonly record struct LinkReading(double RttMs, double JitterMs, double Loss, double? ForwardLoss, bool Up)
{
    /// <summary>The loss the controller prices the link by: its own direction's where measured.</summary>
    public double DirectedLoss => ForwardLoss ?? Loss;

    private static readonly CostModelOptions Costs = new();

    /// <summary>Whether the controller would act on the difference from <paramref name="told"/>: up or down, or an estimate past the drift thresholds (round-trip or directed loss).</summary>
    public bool IsNewsAfter(LinkReading told) =>
        told.Up != Up
        || (told.ForwardLoss is null) != (ForwardLoss is null)
        || LinkDrift.Moved(told.RttMs, told.JitterMs, told.DirectedLoss, RttMs, JitterMs, DirectedLoss, Costs)
        || LinkDrift.Moved(RttMs, JitterMs, told.Loss, RttMs, JitterMs, Loss, Costs);
}

/// <summary>What one report carries: every link (<see cref="Since"/> null), or the news amending report <see cref="Since"/>.</summary>
public sealed record ReportPlan<TKey>(long Sequence, long? Since, List<(TKey Peer, LinkReading Reading)> Links, List<TKey> Gone)
{
    public bool Full => Since is null;
}

/// <summary>
/// What a relay's reports carry. Each report amends the last one the controller took (whose sequence number
/// it names) with only the news: links new or gone, links that went up or down, and links whose estimate moved
/// past <see cref="LinkDrift"/>'s thresholds (the ones the controller recomputes on) against what the controller
/// was last told. Every link is sent in the first report, when the controller answers that it holds nothing
/// this relay can amend (it restarted, or a report's answer was lost), and every refresh interval (staggered).
/// So the controller's view of a link is never further from the relay's estimate than one drift threshold, but
/// for the time a report takes to get through; a report with no news is a heartbeat.
/// </summary>
public sealed class ReportNews<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkReading> _told = [];
    private readonly TimeSpan _refreshInterval;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private long? _taken;
    private long _next;
    private long _fullDueAt;

    /// <param name="firstSequence">The first report's number: random for a relay, so a restarted relay's numbers never meet its previous life's.</param>
    public ReportNews(TimeSpan refreshInterval, TimeProvider time, Random random, long firstSequence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refreshInterval, TimeSpan.Zero);
        _refreshInterval = refreshInterval;
        _time = time;
        _random = random;
        _next = firstSequence;
    }

    /// <summary>The next report, from the links as the probe agent sees them now.</summary>
    public ReportPlan<TKey> Next(IEnumerable<(TKey Peer, LinkReading Reading)> now)
    {
        ArgumentNullException.ThrowIfNull(now);
        var sequence = _next++;
        if (_taken is not { } since || _time.GetTimestamp() >= _fullDueAt)
        {
            return new ReportPlan<TKey>(sequence, null, [.. now], []);
        }

        var links = new List<(TKey, LinkReading)>();
        var peers = new List<TKey>(_told.Count);
        var known = 0;
        foreach (var (peer, reading) in now)
        {
            peers.Add(peer);
            if (!_told.TryGetValue(peer, out var told))
            {
                links.Add((peer, reading));
            }
            else
            {
                known++;
                if (reading.IsNewsAfter(told))
                {
                    links.Add((peer, reading));
                }
            }
        }

        // Every peer told of is still measured (the usual case, a relay's peers change rarely): nothing is gone.
        List<TKey> gone = [];
        if (known < _told.Count)
        {
            var present = peers.ToHashSet();
            gone = [.. _told.Keys.Where(peer => !present.Contains(peer))];
        }

        return new ReportPlan<TKey>(sequence, since, links, gone);
    }

    /// <summary>The controller took <paramref name="plan"/>: what it carried is what the controller holds now.</summary>
    public void Taken(ReportPlan<TKey> plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Full)
        {
            _told.Clear();
            var stagger = 0.75 + (_random.NextDouble() / 2); // 0.75 to 1.25 intervals: relays started together do not refresh together
            _fullDueAt = _time.GetTimestamp() + (long)(_refreshInterval.TotalSeconds * stagger * _time.TimestampFrequency);
        }
        else if (plan.Since != _taken)
        {
            return; // amended a report the controller no longer holds: the next one goes whole
        }

        foreach (var (peer, reading) in plan.Links)
        {
            _told[peer] = reading;
        }

        foreach (var peer in plan.Gone)
        {
            _told.Remove(peer);
        }

        _taken = plan.Sequence;
    }

    /// <summary>The controller holds nothing this relay's reports can amend: the next one goes whole.</summary>
    public void FullWanted() => _taken = null;
}
