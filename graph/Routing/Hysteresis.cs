namespace Msdn.Graph.Routing;

/// <summary>The switch rule between a pair's current primary and the newly computed least-cost path.</summary>
public static class Hysteresis
{
    /// <summary>
    /// True when the pair should move to the new path: the incumbent is down (infinite cost) or the new
    /// path is cheaper by more than both margins.
    /// </summary>
    public static bool ShouldSwitch(double incumbentCost, double newCost, HysteresisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (double.IsPositiveInfinity(incumbentCost))
        {
            return true;
        }

        var gain = incumbentCost - newCost;
        return gain > options.MarginMs && gain > options.MarginPercent / 100.0 * incumbentCost;
    }
}
