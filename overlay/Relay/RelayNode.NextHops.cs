using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>Which peer rooms carry flows from here now: the probe agent watches those links closely.</summary>
public sealed partial class RelayNode
{
    private readonly Dictionary<RoomId, int> _nextHopUse = [];
    private readonly Lock _nextHopLock = new();

    /// <summary>Raised when a peer room starts (true) or stops (false) being the next hop of any flow.</summary>
    public event Action<RoomId, bool>? NextHopActivityChanged;

    /// <summary>Marks <paramref name="next"/> as carrying one more flow until the result is disposed.</summary>
    private NextHopUse UseNextHop(RoomId next)
    {
        bool first;
        lock (_nextHopLock)
        {
            _nextHopUse[next] = _nextHopUse.GetValueOrDefault(next) + 1;
            first = _nextHopUse[next] == 1;
        }

        if (first)
        {
            NextHopActivityChanged?.Invoke(next, true);
        }

        return new NextHopUse(this, next);
    }

    private void ReleaseNextHop(RoomId next)
    {
        bool last;
        lock (_nextHopLock)
        {
            var count = _nextHopUse[next] - 1;
            last = count == 0;
            if (last)
            {
                _nextHopUse.Remove(next);
            }
            else
            {
                _nextHopUse[next] = count;
            }
        }

        if (last)
        {
            NextHopActivityChanged?.Invoke(next, false);
        }
    }

    private readonly struct NextHopUse(RelayNode node, RoomId next) : IDisposable
    {
        public void Dispose() => node.ReleaseNextHop(next);
    }
}
