namespace Msdn.Graph.Topology;

/// <summary>
/// A relay's load in coarse bands, as the directory carries it, and what each band weighs when a hop picks among a
/// room's relays (<see cref="NodeChoice"/>): a busy relay is given fewer new flows, a relay at capacity few. Bands,
/// not the load itself, so the directory changes (and every relay fetches it) only when a relay crosses one, with a
/// margin on the way back so a load hovering at a bound does not flip it every report.
/// </summary>
public static class HeadroomBand
{
    /// <summary>Band 0 below half of capacity, 1 below 80 %, 2 below capacity, 3 at or past it.</summary>
    private static readonly double[] Bounds = [0.5, 0.8, 1.0];

    /// <summary>Each band's weight: a relay at capacity still gets a few (a room whose relays are all full must carry on).</summary>
    private static readonly double[] Weights = [1.0, 0.5, 0.2, 0.05];

    /// <summary>How far under a bound the load must fall before the band below is taken again.</summary>
    public const double Margin = 0.05;

    /// <summary>The band for <paramref name="utilization"/> (0 idle, 1 at capacity), given the band held until now.</summary>
    public static int Of(double utilization, int held = 0)
    {
        var band = 0;
        while (band < Bounds.Length && utilization >= Bounds[band])
        {
            band++;
        }

        // Going down a band only once clearly under its bound.
        return band < held && utilization >= Bounds[held - 1] - Margin ? held : band;
    }

    /// <summary>The weight of a relay in <paramref name="band"/> (an unknown band weighs as an idle relay).</summary>
    public static double Weight(int band) => band >= 0 && band < Weights.Length ? Weights[band] : 1.0;
}
