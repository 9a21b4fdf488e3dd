namespace Msdn.Sim.Drills;

/// <summary>
/// A drill's control traffic as it happens: bytes by kind (reports, routes, directory, ...) and direction, and by
/// second of the drill (negative seconds: before the flows started). Both engines feed it; the loopback engine from
/// the relays' own wire counters, the virtual engine from the encoded messages. Thread-safe.
/// </summary>
public sealed class ControlTally
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, (long Up, long Down)> _kinds = new(StringComparer.Ordinal);
    private readonly SortedDictionary<int, SortedDictionary<string, long>> _seconds = [];

    public void Add(string kind, long toController, long fromController, double atSeconds)
    {
        if (toController == 0 && fromController == 0)
        {
            return;
        }

        var second = (int)Math.Floor(atSeconds);
        lock (_lock)
        {
            var (up, down) = _kinds.GetValueOrDefault(kind);
            _kinds[kind] = (up + toController, down + fromController);
            if (!_seconds.TryGetValue(second, out var bytes))
            {
                _seconds[second] = bytes = new(StringComparer.Ordinal);
            }

            bytes[kind] = bytes.GetValueOrDefault(kind) + toController + fromController;
        }
    }

    public long ToController
    {
        get
        {
            lock (_lock)
            {
                return _kinds.Values.Sum(k => k.Up);
            }
        }
    }

    public long FromController
    {
        get
        {
            lock (_lock)
            {
                return _kinds.Values.Sum(k => k.Down);
            }
        }
    }

    public IReadOnlyList<(string Kind, long ToController, long FromController)> Kinds()
    {
        lock (_lock)
        {
            return [.. _kinds.Select(k => (k.Key, k.Value.Up, k.Value.Down))];
        }
    }

    /// <summary>Each second that carried control traffic, with its bytes (both directions) by kind.</summary>
    public IReadOnlyList<ControlSecond> Timeline()
    {
        lock (_lock)
        {
            return [.. _seconds.Select(s => new ControlSecond(s.Key, new SortedDictionary<string, long>(s.Value, StringComparer.Ordinal)))];
        }
    }
}

/// <summary>Control bytes (both directions) by kind in one second of a drill.</summary>
public sealed record ControlSecond(int Second, IReadOnlyDictionary<string, long> Bytes);
