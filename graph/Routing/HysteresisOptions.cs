namespace Msdn.Graph.Routing;

/// <summary>
/// How much better a new path must be before a pair leaves its current primary. Both margins must be
/// exceeded: the absolute one keeps short paths from flapping on sub-millisecond noise, the relative
/// one keeps long paths from flapping on noise that scales with their length. A primary that went down
/// is always left at once.
/// </summary>
public sealed record HysteresisOptions
{
    public const string SectionName = "Hysteresis";

    /// <summary>The new path must be cheaper by more than this many milliseconds.</summary>
    public double MarginMs { get; init; } = 5.0;

    /// <summary>...and by more than this percentage of the current primary's cost.</summary>
    public double MarginPercent { get; init; } = 10.0;

    /// <summary>No hysteresis: always take the least-cost path.</summary>
    public static HysteresisOptions None { get; } = new() { MarginMs = 0, MarginPercent = 0 };
}
