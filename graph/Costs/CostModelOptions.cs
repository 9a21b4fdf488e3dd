namespace Msdn.Graph.Costs;

/// <summary>
/// Weights of the link cost:
/// <c>cost = rtt_ms + JitterWeight * jitter_ms + LossPenaltyMsPerPercent * (100 * loss) + HopPenaltyMs</c>.
/// A link that is down, or whose loss is at or above <see cref="MaxUsableLoss"/>, has no edge.
/// All weights 0 gives plain shortest paths on RTT.
/// </summary>
public sealed record CostModelOptions
{
    public const string SectionName = "CostModel";

    /// <summary>Milliseconds of cost per millisecond of jitter (a jitter buffer holds about twice the jitter).</summary>
    public double JitterWeight { get; init; } = 2.0;

    /// <summary>Milliseconds of cost per percentage point of loss (each loss costs a retransmission round trip or a concealment glitch).</summary>
    public double LossPenaltyMsPerPercent { get; init; } = 10.0;

    /// <summary>Milliseconds added per link: a relay's forwarding time and one more thing that can fail.</summary>
    public double HopPenaltyMs { get; init; } = 1.0;

    /// <summary>Links losing this fraction or more are treated as down.</summary>
    public double MaxUsableLoss { get; init; } = 0.5;

    /// <summary>Only RTT counts: jitter and loss weights 0, no hop penalty.</summary>
    public static CostModelOptions LatencyOnly { get; } = new()
    {
        JitterWeight = 0,
        LossPenaltyMsPerPercent = 0,
        HopPenaltyMs = 0,
        MaxUsableLoss = 1.0,
    };
}
