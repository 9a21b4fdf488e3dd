namespace Msdn.Probe.Estimation;

/// <summary>Round-trip loss over the last <see cref="Size"/> probe outcomes (answered or timed out).</summary>
public sealed class LossWindow(int size = 100)
{
    private readonly bool[] _lost = new bool[size];
    private int _count;
    private int _next;
    private int _lostCount;

    public int Size { get; } = size;

    public int Count => _count;

    /// <summary>Lost fraction of the outcomes in the window; 0 before any outcome.</summary>
    public double Loss => _count == 0 ? 0 : (double)_lostCount / _count;

    public void Add(bool lost)
    {
        if (_count == _lost.Length)
        {
            _lostCount -= _lost[_next] ? 1 : 0;
        }
        else
        {
            _count++;
        }

        _lost[_next] = lost;
        _lostCount += lost ? 1 : 0;
        _next = (_next + 1) % _lost.Length;
    }
}
