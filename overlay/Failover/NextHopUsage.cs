using Msdn.Graph.Topology;

namespace Msdn.Overlay.Failover;

/// <summary>
/// How many flows each peer room carries from this relay now (as their next hop): the probe agent probes
/// those links fast, so a link that carries traffic is declared down within a second.
/// </summary>
public sealed class NextHopUsage
{
    private readonly Dictionary<RoomId, int> _uses = [];
    private readonly Lock _lock = new();

    /// <summary>Raised when a peer room starts (true) or stops (false) being the next hop of any flow.</summary>
    public event Action<RoomId, bool>? Changed;

    /// <summary>Marks <paramref name="next"/> as carrying one more flow until the result is disposed.</summary>
    public Lease Use(RoomId next)
    {
        bool first;
        lock (_lock)
        {
            var count = _uses.GetValueOrDefault(next) + 1;
            _uses[next] = count;
            first = count == 1;
        }

        if (first)
        {
            Changed?.Invoke(next, true);
        }

        return new Lease(this, next);
    }

    /// <summary>Flows whose next hop is <paramref name="next"/> now.</summary>
    public int Count(RoomId next)
    {
        lock (_lock)
        {
            return _uses.GetValueOrDefault(next);
        }
    }

    private void Release(RoomId next)
    {
        bool last;
        lock (_lock)
        {
            var count = _uses[next] - 1;
            last = count == 0;
            if (last)
            {
                _uses.Remove(next);
            }
            else
            {
                _uses[next] = count;
            }
        }

        if (last)
        {
            Changed?.Invoke(next, false);
        }
    }

    /// <summary>One flow's use of a next hop; disposing it releases the use.</summary>
    public readonly struct Lease(NextHopUsage usage, RoomId next) : IDisposable
    {
        public void Dispose() => usage?.Release(next);
    }
}
