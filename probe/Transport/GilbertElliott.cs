namespace Msdn.Probe.Transport;

/// <summary>
/// Bursty loss, as real links lose packets: a two-state (good, bad) Markov chain that drops every packet
/// while bad. Parameterised by what an operator knows — the long-run loss and the mean burst length:
/// leaving bad has probability 1/burst per packet, entering it loss/(1 − loss)/burst, so the chain spends
/// the share <paramref name="loss"/> of packets in the bad state. Not thread-safe: one per link, under its caller's lock.
/// </summary>
public sealed class GilbertElliott
{
    private readonly double _enterBad;
    private readonly double _leaveBad;

    public GilbertElliott(double loss, double meanBurst)
    {
        if (loss is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(loss), loss, "Loss must be in [0, 1).");
        }

        if (meanBurst < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(meanBurst), meanBurst, "A burst lasts at least one packet.");
        }

        (_enterBad, _leaveBad) = Rates(loss, meanBurst);
    }

    /// <summary>The chain's per-packet probabilities of entering and leaving the bad state for a long-run loss and mean burst.</summary>
    public static (double EnterBad, double LeaveBad) Rates(double loss, double meanBurst) => (loss / (1 - loss) / meanBurst, 1 / meanBurst);

    /// <summary>One step of a chain kept elsewhere (the simulator keeps 250,000 of them in one array): the next state, which is also whether the packet is lost.</summary>
    public static bool Step(bool bad, double enterBad, double leaveBad, double uniform) => bad ? uniform >= leaveBad : uniform < enterBad;

    public bool Bad { get; private set; }

    /// <summary>Moves the chain one packet on (with the dice <paramref name="uniform"/> in [0, 1)); true when that packet is lost.</summary>
    public bool Drop(double uniform)
    {
        Bad = Step(Bad, _enterBad, _leaveBad, uniform);
        return Bad;
    }
}
