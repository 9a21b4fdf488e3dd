namespace Msdn.Probe.Estimation;

/// <summary>
/// Smoothed RTT (EWMA with gain 1/8, as TCP's SRTT) and the minimum over the last
/// <see cref="WindowSize"/> samples (the path's propagation floor, insensitive to queueing).
/// </summary>
public sealed class RttEstimator(int windowSize = 20)
{
    public const double Gain = 1.0 / 8;

    private readonly double[] _window = new double[windowSize];
    private int _count;
    private int _next;

    public int WindowSize { get; } = windowSize;

    public double SmoothedMs { get; private set; } = double.NaN;

    public double MinimumMs { get; private set; } = double.NaN;

    public double? LastMs { get; private set; }

    public int Samples { get; private set; }

    public void Add(double rttMs)
    {
        SmoothedMs = Samples == 0 ? rttMs : SmoothedMs + (Gain * (rttMs - SmoothedMs));
        LastMs = rttMs;
        Samples++;
        var evicted = _count == _window.Length ? _window[_next] : double.PositiveInfinity;
        _window[_next] = rttMs;
        _next = _next + 1 == _window.Length ? 0 : _next + 1;
        _count = Math.Min(_count + 1, _window.Length);

        // The window's minimum moves only when the new sample undercuts it or the sample leaving was it:
        // a rescan then, a compare otherwise (an agent at 500 peers runs this thousands of times a second).
        MinimumMs = _count == 1 || rttMs <= MinimumMs ? rttMs : evicted <= MinimumMs ? WindowMinimum() : MinimumMs;
    }

    private double WindowMinimum()
    {
        var min = double.PositiveInfinity;
        for (var i = 0; i < _count; i++)
        {
            min = Math.Min(min, _window[i]);
        }

        return min;
    }
}
