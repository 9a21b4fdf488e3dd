namespace Msdn.Probe.Estimation;

/// <summary>Round-trip loss over the last <see cref="Size"/> probe outcomes (answered or timed out).</summary>
public sealed class LossWindow(int size = 100)
{
    /// <summary>Outcome i of the ring is bit i: an agent holds one window per peer (100 outcomes in 16 bytes, not 100).</summary>
    private readonly ulong[] _lost = new ulong[(size + 63) / 64];
    private int _count;
    private int _next;
    private int _lostCount;

    public int Size { get; } = size;

    public int Count => _count;

    /// <summary>Lost fraction of the outcomes in the window; 0 before any outcome.</summary>
    public double Loss => _count == 0 ? 0 : (double)_lostCount / _count;

    /// <summary>Forgets every outcome (a link that came back up starts a new record: its outage says nothing of it now).</summary>
    public void Restart()
    {
        Array.Clear(_lost);
        _count = _next = _lostCount = 0;
    }

    public void Add(bool lost)
    {
        ref var word = ref _lost[_next >> 6];
        var bit = 1UL << (_next & 63);
        if (_count == Size)
        {
            _lostCount -= (word & bit) != 0 ? 1 : 0;
        }
        else
        {
            _count++;
        }

        word = lost ? word | bit : word & ~bit;
        _lostCount += lost ? 1 : 0;
        _next = _next + 1 == Size ? 0 : _next + 1;
    }
}
