namespace Msdn.Probe.Protocol;

/// <summary>
/// Accepts each request sequence number from one peer at most once: anything at or below the highest
/// seen minus the window, or already seen within it, is a replay. (Sequence numbers start at 1.)
/// </summary>
public sealed class ReplayWindow
{
    public const int Size = 64;

    private ulong _highest;
    private ulong _seen; // bit i set: sequence (_highest - i) was seen

    public bool TryAccept(ulong sequence)
    {
        if (sequence == 0)
        {
            return false;
        }

        if (sequence > _highest)
        {
            var shift = sequence - _highest;
            _seen = shift >= Size ? 1UL : (_seen << (int)shift) | 1UL;
            _highest = sequence;
            return true;
        }

        var age = _highest - sequence;
        if (age >= Size)
        {
            return false;
        }

        var bit = 1UL << (int)age;
        if ((_seen & bit) != 0)
        {
            return false;
        }

        _seen |= bit;
        return true;
    }
}
