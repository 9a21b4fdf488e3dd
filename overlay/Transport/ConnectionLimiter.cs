using System.Collections.Concurrent;
using System.Net;

namespace Msdn.Overlay.Transport;

/// <summary>
/// Caps the connections a port holds open, in all and per remote address, so a burst of connections (or
/// one client opening them without end) cannot exhaust the process's file descriptors: a connection past
/// either cap is closed at once instead of served.
/// </summary>
public sealed class ConnectionLimiter(int maxConnections, int maxPerAddress)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private int _open;
    private long _refused;

    /// <summary>Connections held open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Connections closed at once because a cap was reached, since start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Takes a slot for a connection from <paramref name="remote"/>; null when a cap is reached (close it).</summary>
    public Slot? TryTake(IPAddress remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (Interlocked.Increment(ref _open) > maxConnections)
        {
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _refused);
            return null;
        }

        if (_perAddress.AddOrUpdate(remote, 1, (_, n) => n + 1) > maxPerAddress)
        {
            Release(remote);
            Interlocked.Increment(ref _refused);
            return null;
        }

        return new Slot(this, remote);
    }

    private void Release(IPAddress remote)
    {
        Interlocked.Decrement(ref _open);
        if (_perAddress.AddOrUpdate(remote, 0, (_, n) => n - 1) <= 0)
        {
            _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(remote, 0));
        }
    }

    /// <summary>One connection's slot; disposing it frees the slot.</summary>
    public sealed class Slot(ConnectionLimiter limiter, IPAddress remote) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                limiter.Release(remote);
            }
        }
    }
}
