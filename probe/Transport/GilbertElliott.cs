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

        _leaveBad = 1 / meanBurst;
        _enterBad = loss / (1 - loss) * _leaveBad;
    }

    public bool Bad { get; private set; }

    /// <summary>Moves the chain one packet on (with the dice <paramref name="uniform"/> in [0, 1)); true when that packet is lost.</summary>
    public bool Drop(double uniform)
    {
        Bad = Bad ? uniform >= _leaveBad : uniform < _enterBad;
        return Bad;
    }
}
