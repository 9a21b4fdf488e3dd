namespace Msdn.Overlay.Load;

/// <summary>
/// Bytes and data units (frames, or the pieces a transit splice moves) this relay took in and sent on, over
/// every role: a local writer's bytes and what arrives from peers are in; what goes to the next hop and to
/// local subscribers is out. Counted with one interlocked add per unit, read by <see cref="RelayLoadMeter"/>.
/// </summary>
public sealed class RelayTraffic
{
    private long _bytesIn;
    private long _bytesOut;
    private long _unitsIn;
    private long _unitsOut;

    public void In(long bytes, int units = 1)
    {
        Interlocked.Add(ref _bytesIn, bytes);
        Interlocked.Add(ref _unitsIn, units);
    }

    public void Out(long bytes, int units = 1)
    {
        Interlocked.Add(ref _bytesOut, bytes);
        Interlocked.Add(ref _unitsOut, units);
    }

    public TrafficTotals Totals => new(Interlocked.Read(ref _bytesIn), Interlocked.Read(ref _bytesOut), Interlocked.Read(ref _unitsIn), Interlocked.Read(ref _unitsOut));
}

/// <summary>Totals since the relay started.</summary>
public readonly record struct TrafficTotals(long BytesIn, long BytesOut, long UnitsIn, long UnitsOut);
