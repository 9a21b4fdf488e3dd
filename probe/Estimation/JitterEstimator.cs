namespace Msdn.Probe.Estimation;

/// <summary>
/// RFC 3550 interarrival jitter: J += (|D| − J) / 16, where D is the change in transit time between
/// consecutive probes. On round-trip probes the transit time is the RTT, so D is the RTT difference.
/// </summary>
public sealed class JitterEstimator
{
    private double? _previousMs;

    public double JitterMs { get; private set; }

    public void Add(double transitMs)
    {
        if (_previousMs is { } previous)
        {
            JitterMs += (Math.Abs(transitMs - previous) - JitterMs) / 16;
        }

        _previousMs = transitMs;
    }
}
