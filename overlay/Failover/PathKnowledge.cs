using System.Collections.Concurrent;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Failover;

/// <summary>
/// What one relay knows of links beyond its route table, shared by all the flows it starts: links its probe
/// agent declared down, peers it just failed to reach (every flow avoids paths into them at once instead of
/// each discovering it), peers that refuse its data, and its own links that probes see up now (the first
/// hops of a local detour). Sans I/O: the relay and the simulator feed it the same signals.
/// </summary>
public sealed class PathKnowledge
{
    /// <summary>How long a peer whose connection failed is avoided (the probe's up signal clears it sooner).</summary>
    public static readonly TimeSpan UnreachableFor = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(RoomId From, RoomId To), bool> _downLinks = new();
    private readonly ConcurrentDictionary<RoomId, long> _unreachableUntil = new();
    private readonly TimeProvider _time;
    private readonly Func<RoomId, bool>? _refusesData;

    /// <param name="self">The relay's room.</param>
    /// <param name="time">The clock that times how long a lost peer is avoided.</param>
    /// <param name="refusesData">Peers whose probes answer but whose relay refuses this one's data connection now.</param>
    public PathKnowledge(RoomId self, TimeProvider time, Func<RoomId, bool>? refusesData = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        Self = self;
        _time = time;
        _refusesData = refusesData;
    }

    public RoomId Self { get; }

    /// <summary>This relay's own links that its probe agent sees up now (peer, cost); null when nothing supplies them (no detours).</summary>
    public Func<IEnumerable<(RoomId Peer, double CostMs)>>? LiveLinks { get; set; }

    /// <summary>A link was declared down: no path over it is chosen until it is declared up.</summary>
    public void LinkDown(RoomId from, RoomId to) => _downLinks[(from, to)] = true;

    /// <summary>The link is back; a peer of this relay on it is reachable again.</summary>
    public void LinkUp(RoomId from, RoomId to)
    {
        _downLinks.TryRemove((from, to), out _);
        if (from == Self)
        {
            _unreachableUntil.TryRemove(to, out _);
        }
    }

    /// <summary>This relay failed to reach <paramref name="peer"/> (it died, or the link to it broke): no path into it for <see cref="UnreachableFor"/>.</summary>
    public void Unreachable(RoomId peer) =>
        _unreachableUntil[peer] = _time.GetTimestamp() + (long)(UnreachableFor.TotalSeconds * _time.TimestampFrequency);

    /// <summary>
    /// The probe agent saw <paramref name="peer"/>'s link begin losing in a loss burst (<paramref name="suspected"/>):
    /// a region cut off, so no path goes into it for <see cref="UnreachableFor"/>, whichever room it comes from; or
    /// that link answered again, which ends it.
    /// </summary>
    public void BurstSuspicion(RoomId peer, bool suspected)
    {
        if (suspected)
        {
            Unreachable(peer);
        }
        else
        {
            _unreachableUntil.TryRemove(peer, out _);
        }
    }

    /// <summary>Forgets everything learned (a restarted relay starts from its table alone).</summary>
    public void Clear()
    {
        _downLinks.Clear();
        _unreachableUntil.Clear();
    }

    /// <summary>Whether a path may not cross the link now.</summary>
    public bool IsDown(RoomId from, RoomId to) =>
        _downLinks.ContainsKey((from, to))
        || (from == Self && _refusesData?.Invoke(to) == true)
        || (_unreachableUntil.TryGetValue(to, out var until) && _time.GetTimestamp() < until);
}
