namespace Msdn.Probe.Transport;

/// <summary>What to do to datagrams sent over one link: added delay (± uniform jitter), random loss, or a hard cut.</summary>
public sealed record LinkImpairment(TimeSpan Delay = default, TimeSpan Jitter = default, double Loss = 0, bool Cut = false)
{
    public static LinkImpairment None { get; } = new();

    /// <summary>Drops everything.</summary>
    public static LinkImpairment Severed { get; } = new(Cut: true);
}
