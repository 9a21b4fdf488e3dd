namespace Msdn.Probe.Transport;

/// <summary>
/// What to do to datagrams sent over one link: added delay (± uniform jitter), loss (independent, or in
/// bursts of <see cref="MeanBurst"/> packets on average: Gilbert–Elliott), or a hard cut.
/// </summary>
public sealed record LinkImpairment(TimeSpan Delay = default, TimeSpan Jitter = default, double Loss = 0, bool Cut = false, double MeanBurst = 1)
{
    public static LinkImpairment None { get; } = new();

    /// <summary>Drops everything.</summary>
    public static LinkImpairment Severed { get; } = new(Cut: true);
}
