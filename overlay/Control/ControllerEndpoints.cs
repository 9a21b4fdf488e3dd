using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Control;

/// <summary>
/// The ways to the controller, in the order to try them: directly unless that failed in the last
/// <see cref="DirectRetryAfter"/> (then the peers first, and direct again once the pause is over, so the
/// link goes back to direct when it recovers), and the peer relays whose links the probe sees up.
/// A direct failure also aborts direct exchanges still in flight (a long-poll into a silent cut).
/// </summary>
public sealed class ControllerEndpoints(IControlChannel direct, RelayNode node, Func<IReadOnlyCollection<RoomId>> peers, string credential, Func<IReadOnlySet<RoomId>?> peersUp, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan DirectRetryAfter = TimeSpan.FromSeconds(3);

    private readonly Lock _lock = new();
    private long? _directFailedAt;
    private CancellationTokenSource _directBroken = new();

    public IEnumerable<IControlChannel> Channels()
    {
        var up = peersUp(); // one look at the probe's view per exchange; null: no probe, every peer counts as up
        var viaPeers = peers().Where(p => up is null || up.Contains(p)).Select(p => (IControlChannel)new PeerControlChannel(node, p, credential));
        bool directPaused;
        lock (_lock)
        {
            directPaused = _directFailedAt is { } failed && time.GetElapsedTime(failed) < DirectRetryAfter;
        }

        return directPaused ? [.. viaPeers, direct] : [direct, .. viaPeers];
    }

    /// <summary>Cancelled when the direct channel fails: direct exchanges in flight give up.</summary>
    public CancellationToken BrokenToken(IControlChannel channel)
    {
        lock (_lock)
        {
            return channel == direct ? _directBroken.Token : CancellationToken.None;
        }
    }

    public void Succeeded(IControlChannel channel)
    {
        if (channel == direct)
        {
            lock (_lock)
            {
                _directFailedAt = null;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _directBroken.Dispose();
        }
    }

    public void Failed(IControlChannel channel)
    {
        if (channel != direct)
        {
            return;
        }

        CancellationTokenSource broken;
        lock (_lock)
        {
            _directFailedAt = time.GetTimestamp();
            broken = _directBroken;
            _directBroken = new CancellationTokenSource();
        }

        broken.Cancel();
        broken.Dispose();
    }
}
