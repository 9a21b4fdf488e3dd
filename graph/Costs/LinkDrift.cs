namespace Msdn.Graph.Costs;

/// <summary>
/// When a link's estimate has moved enough to possibly move a route: its RTT by ≥ 1 ms and ≥ 2 %, its jitter
/// by ≥ 1 ms, or its loss above the cost model's noise floor by ≥ 0.5 points. Routes cannot move on less
/// (hysteresis asks for 5 ms and 10 % by default). One rule on both sides of the control link: the controller
/// recomputes on it, and a relay reports a link only when it holds against what the controller was last told.
/// </summary>
public static class LinkDrift
{
    public static bool Moved(double usedRttMs, double usedJitterMs, double usedLoss, double rttMs, double jitterMs, double loss, CostModelOptions costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        var rtt = Math.Abs(rttMs - usedRttMs);
        return (rtt >= 1 && rtt >= 0.02 * usedRttMs) || Math.Abs(jitterMs - usedJitterMs) >= 1 || Math.Abs(costs.PricedLoss(loss) - costs.PricedLoss(usedLoss)) >= 0.005;
    }
}
