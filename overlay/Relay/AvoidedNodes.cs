namespace Msdn.Overlay.Relay;

/// <summary>
/// The relays one flow passes over for a while: those that died or drained under it. A room's other relays
/// take their place on the same path; a relay back (restarted at its address, or serving again) is used again
/// after <see cref="Hold"/>. Bounded: past <see cref="Max"/> a failure fails the path as in a room of one relay.
/// </summary>
internal sealed class AvoidedNodes(TimeProvider time)
{
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(5);
    public const int Max = 16;

    private readonly Dictionary<string, long> _until = new(StringComparer.Ordinal);

    /// <summary>Avoids <paramref name="node"/> from now; false when it was avoided already (the choice failed to pass it over) or too many are.</summary>
    public bool Add(string node)
    {
        Prune();
        if (_until.ContainsKey(node) || _until.Count >= Max)
        {
            return false;
        }

        _until[node] = time.GetTimestamp() + (long)(Hold.TotalSeconds * time.TimestampFrequency);
        return true;
    }

    /// <summary>The relays avoided now (empty most of the time).</summary>
    public IReadOnlyCollection<string> Now()
    {
        Prune();
        return _until.Keys;
    }

    private void Prune()
    {
        if (_until.Count == 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        foreach (var (node, until) in _until)
        {
            if (now >= until)
            {
                _until.Remove(node);
            }
        }
    }
}
