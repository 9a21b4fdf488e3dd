namespace Msdn.Graph.Topology;

/// <summary>
/// The measured quality of one directed link, as a probe agent estimates it.
/// Validated on construction: an instance always holds values the cost model can use (the default is
/// a down link measuring zero). A value, not an object: a 500-room snapshot holds a quarter of a million.
/// </summary>
public readonly record struct LinkQuality
{
    public LinkQuality(double rttMs, double jitterMs, double loss, bool isUp, DateTimeOffset measuredAt)
    {
        if (!double.IsFinite(rttMs) || rttMs < 0)
        {
            throw new InvalidLinkQualityException(nameof(RttMs), rttMs, "a finite number >= 0");
        }

        if (!double.IsFinite(jitterMs) || jitterMs < 0)
        {
            throw new InvalidLinkQualityException(nameof(JitterMs), jitterMs, "a finite number >= 0");
        }

        if (double.IsNaN(loss) || loss < 0 || loss > 1)
        {
            throw new InvalidLinkQualityException(nameof(Loss), loss, "a fraction in [0, 1]");
        }

        RttMs = rttMs;
        JitterMs = jitterMs;
        Loss = loss;
        IsUp = isUp;
        MeasuredAt = measuredAt;
    }

    /// <summary>Round-trip time in milliseconds (smoothed).</summary>
    public double RttMs { get; }

    /// <summary>Interarrival jitter in milliseconds (RFC 3550 style).</summary>
    public double JitterMs { get; }

    /// <summary>Loss fraction in [0, 1] over the estimator's window.</summary>
    public double Loss { get; }

    /// <summary>False once the probe agent has declared the link down; a down link has no edge.</summary>
    public bool IsUp { get; }

    /// <summary>When the estimate was taken (the caller's clock; the routing core never reads one).</summary>
    public DateTimeOffset MeasuredAt { get; }

    /// <summary>A healthy link with only an RTT: handy for latency-only worlds and tests.</summary>
    public static LinkQuality FromRtt(double rttMs) => new(rttMs, 0, 0, true, DateTimeOffset.UnixEpoch);
}
