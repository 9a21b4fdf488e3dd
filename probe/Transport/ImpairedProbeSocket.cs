using System.Collections.Concurrent;
using System.Net;

namespace Msdn.Probe.Transport;

/// <summary>
/// Impairs what a socket sends, per destination: delay and jitter (on the given clock's timers), loss
/// (seeded; independent or bursty, Gilbert–Elliott), and cuts. There is no kernel netem here, so tests and drills inject faults in user space;
/// impairing one side's sends only gives one-way loss. Receives pass through untouched.
/// </summary>
public sealed class ImpairedProbeSocket(IProbeSocket inner, TimeProvider time, int seed) : IProbeSocket
{
    private readonly ConcurrentDictionary<EndPoint, LinkImpairment> _impairments = new();
    private readonly Dictionary<EndPoint, GilbertElliott> _bursts = [];
    private readonly Random _random = new(seed);
    private readonly Lock _randomLock = new();
    private volatile bool _disposed;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    /// <summary>Sets (or with <see cref="LinkImpairment.None"/> clears) the impairment toward one destination.</summary>
    public void Impair(EndPoint destination, LinkImpairment impairment)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(impairment);
        _impairments[destination] = impairment;
        lock (_randomLock)
        {
            _bursts.Remove(destination);
            if (impairment.MeanBurst > 1 && impairment.Loss is > 0 and < 1)
            {
                _bursts[destination] = new GilbertElliott(impairment.Loss, impairment.MeanBurst);
            }
        }
    }

    public void Send(ReadOnlySpan<byte> datagram, EndPoint destination)
    {
        if (!_impairments.TryGetValue(destination, out var impairment) || impairment == LinkImpairment.None)
        {
            inner.Send(datagram, destination);
            return;
        }

        double spread;
        bool lost;
        lock (_randomLock)
        {
            var dice = _random.NextDouble();
            spread = (_random.NextDouble() * 2) - 1;
            lost = _bursts.TryGetValue(destination, out var bursts) ? bursts.Drop(dice) : dice < impairment.Loss;
        }

        if (impairment.Cut || lost)
        {
            return;
        }

        var delay = impairment.Delay + (impairment.Jitter * spread);
        if (delay <= TimeSpan.Zero)
        {
            inner.Send(datagram, destination);
            return;
        }

        var copy = datagram.ToArray();
        ITimer? timer = null;
        timer = time.CreateTimer(
            _ =>
            {
                if (!_disposed)
                {
                    inner.Send(copy, destination);
                }

                timer?.Dispose();
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
    }

    public ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        inner.ReceiveAsync(buffer, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return inner.DisposeAsync();
    }
}
