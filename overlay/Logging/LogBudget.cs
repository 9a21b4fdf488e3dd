namespace Msdn.Overlay.Logging;

/// <summary>
/// How many lines of one kind may be logged per window: events a stranger can cause at will (a refused
/// connection, a malformed frame) must not flood the log. Past the budget lines are counted, and the
/// first line of the next window says how many were left out.
/// </summary>
internal sealed class LogBudget(int perWindow, TimeSpan window, TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _windowStart = time.GetTimestamp();
    private int _used;
    private long _suppressed;

    /// <summary>Whether this line may be logged; <paramref name="leftOut"/> is how many were not since the last one that was.</summary>
    public bool TryTake(out long leftOut)
    {
        lock (_lock)
        {
            if (time.GetElapsedTime(_windowStart) >= window)
            {
                _windowStart = time.GetTimestamp();
                _used = 0;
            }

            if (_used < perWindow)
            {
                _used++;
                leftOut = _suppressed;
                _suppressed = 0;
                return true;
            }

            _suppressed++;
            leftOut = 0;
            return false;
        }
    }
}
