using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Costs;

/// <summary>Turns a link's measured quality into the cost the route computer minimises.</summary>
public sealed class CostModel
{
    /// <summary>
    /// Costs are kept strictly positive so that paths never contain zero-cost cycles
    /// (co-located servers do measure 0.01 ms round trips).
    /// </summary>
    public const float MinimumCostMs = 0.001f;

    public CostModel(CostModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new CostModelOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(CostModelOptions.SectionName, typeof(CostModelOptions), result.Failures);
        }

        Options = options;
    }

    public CostModelOptions Options { get; }

    /// <summary>The link's cost in milliseconds, or +infinity when the link is unusable (down or too lossy).</summary>
    public float Cost(LinkQuality quality)
    {
        if (!quality.IsUp || quality.Loss >= Options.MaxUsableLoss)
        {
            return float.PositiveInfinity;
        }

        var cost = quality.RttMs
            + (Options.JitterWeight * quality.JitterMs)
            + (Options.LossPenaltyMsPerPercent * 100 * Options.PricedLoss(quality.Loss))
            + Options.HopPenaltyMs;
        return Math.Max((float)cost, MinimumCostMs);
    }
}
