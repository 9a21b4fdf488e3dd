using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Control;

/// <summary>
/// The ways to the controller, in the order to try them: directly unless that failed in the last
/// <see cref="DirectRetryAfter"/> (then the peers first, and direct again once the pause is over, so the
/// link goes back to direct when it recovers), and the peer relays whose links the probe sees up, those
/// that failed in the last pause after the others.
/// A channel that fails aborts its exchanges still in flight (a long-poll into a silent cut), and so does
/// a peer whose link goes down: a long-poll through it would otherwise wait out its whole timeout.
/// </summary>
public sealed class ControllerEndpoints(IControlChannel direct, RelayNode node, Func<IReadOnlyCollection<RoomId>> peers, string credential, Func<IReadOnlySet<RoomId>?> peersUp, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan DirectRetryAfter = TimeSpan.FromSeconds(3);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _failedAt = [];
    private readonly Dictionary<string, CancellationTokenSource> _broken = [];

    public IEnumerable<IControlChannel> Channels()
    {
        var up = peersUp(); // one look at the probe's view per exchange; null: no probe, every peer counts as up
        var viaPeers = peers().Where(p => up is null || up.Contains(p)).Select(p => (IControlChannel)new PeerControlChannel(node, p, credential)).ToList();
        bool directPaused;
        lock (_lock)
        {
            directPaused = Paused(direct.Name);
            viaPeers = [.. viaPeers.Where(c => !Paused(c.Name)), .. viaPeers.Where(c => Paused(c.Name))];
        }

        return directPaused ? [.. viaPeers, direct] : [direct, .. viaPeers];
    }

    /// <summary>Cancelled when <paramref name="channel"/> fails, or (a peer) its link goes down: exchanges in flight on it give up.</summary>
    public CancellationToken BrokenToken(IControlChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_lock)
        {
            if (!_broken.TryGetValue(channel.Name, out var broken))
            {
                broken = new CancellationTokenSource();
                _broken[channel.Name] = broken;
            }

            return broken.Token;
        }
    }

    public void Succeeded(IControlChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        lock (_lock)
        {
            _failedAt.Remove(channel.Name);
        }
    }

    public void Failed(IControlChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Break(channel.Name, failed: true);
    }

    /// <summary>The link to <paramref name="peer"/> went down: exchanges through it give up now.</summary>
    public void PeerLost(RoomId peer) => Break(PeerControlChannel.NameOf(peer), failed: false);

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var broken in _broken.Values)
            {
                broken.Dispose();
            }

            _broken.Clear();
        }
    }

    private bool Paused(string channel) => _failedAt.TryGetValue(channel, out var failed) && time.GetElapsedTime(failed) < DirectRetryAfter;

    private void Break(string channel, bool failed)
    {
        CancellationTokenSource? broken;
        lock (_lock)
        {
            if (failed)
            {
                _failedAt[channel] = time.GetTimestamp();
            }

            if (_broken.Remove(channel, out broken) is false)
            {
                return;
            }
        }

        broken.Cancel(); // not disposed: an exchange may be linking to its token right now (it holds no timer)
    }
}
