namespace Msdn.Graph.Costs;

/// <summary>
/// Weights of the link cost:
/// <c>cost = rtt_ms + JitterWeight * jitter_ms + LossPenaltyMsPerPercent * 100 * max(0, loss − LossNoiseFloor) + HopPenaltyMs</c>.
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

    /// <summary>
    /// Loss up to this fraction costs nothing; above it only the excess counts. A probe agent measures loss
    /// over its last 100 probes (by default), so one lost probe reads as 1 %: with 0.1 % background loss one
    /// link in six shows that at any moment, for 100 s, on no evidence of lasting loss, and priced at 10 ms
    /// it moved routes back and forth. (Two lost probes in a hundred still happen on ~2 % of such links:
    /// the window is too short to price loss much finer than this.)
    /// </summary>
    public double LossNoiseFloor { get; init; } = 0.01;

    /// <summary>The loss a link is priced on: what exceeds <see cref="LossNoiseFloor"/>.</summary>
    public double PricedLoss(double loss) => Math.Max(0, loss - LossNoiseFloor);

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
        LossNoiseFloor = 0,
    };
}
