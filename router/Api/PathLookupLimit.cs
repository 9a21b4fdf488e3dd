using System.Collections.Concurrent;
using System.Net;

namespace Msdn.Router.Api;

/// <summary>
/// The path lookup's rate limit: a fixed one-second window per client address, counted without locks.
/// Written by hand because it is the hot path: ASP.NET Core's partitioned limiter cost a quarter of the
/// lookup throughput and tripled its p99 here (<c>tests/Msdn.Load -- paths</c>); a property test holds it
/// to the fixed-window model (the first N of each second pass). Over the limit: 429.
/// </summary>
public sealed class PathLookupLimit(int perSecond, TimeProvider time)
{
    /// <summary>Past this many tracked addresses, those idle for a window are forgotten.</summary>
    public const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();

    public int PerSecond { get; } = perSecond;

    public bool TryAcquire(IPAddress? client)
    {
        var second = time.GetTimestamp() / time.TimestampFrequency;
        var window = _windows.GetOrAdd(client ?? IPAddress.None, static _ => new Window());
        var current = Interlocked.Read(ref window.Second);
        if (current != second && Interlocked.CompareExchange(ref window.Second, second, current) == current)
        {
            Interlocked.Exchange(ref window.Count, 0); // this caller opened the new window
            if (_windows.Count > MaxTracked)
            {
                Forget(second);
            }
        }

        return Interlocked.Increment(ref window.Count) <= PerSecond;
    }

    private void Forget(long second)
    {
        foreach (var (address, window) in _windows)
        {
            if (Interlocked.Read(ref window.Second) < second)
            {
                _windows.TryRemove(address, out _);
            }
        }
    }

    private sealed class Window
    {
        public long Second = -1;
        public int Count;
    }
}
