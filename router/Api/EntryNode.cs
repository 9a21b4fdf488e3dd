using Msdn.Router.Rooms;

namespace Msdn.Router.Api;

/// <summary>
/// Which of the ingress room's relays a media engine connects to: the less loaded of two serving relays picked at
/// random ("two random choices"). Always the least loaded one would send a burst of new engines (hundreds within
/// one report interval, all seeing the same loads) to one relay; two choices spread them, favouring the lighter.
/// </summary>
public static class EntryNode
{
    /// <summary>The relay chosen among <paramref name="nodes"/> (null when none serves), and the other serving ones to fall back on (fresh ones; stale ones only when none is fresh).</summary>
    /// <param name="draw">64 random bits: the two picks are taken from its halves.</param>
    public static (NodeSummary? Chosen, IReadOnlyList<NodeSummary> Serving) Choose(IReadOnlyList<NodeSummary> nodes, ulong draw)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        // Relays heard from lately; a relay silent past the stale threshold (likely dead) only when no other serves.
        var serving = nodes.Where(n => n.RelayState == "Serving" && n.Liveness == RoomLiveness.Fresh).ToArray();
        if (serving.Length == 0)
        {
            serving = [.. nodes.Where(n => n.RelayState == "Serving" && n.Liveness == RoomLiveness.Stale)];
        }

        if (serving.Length <= 1)
        {
            return (serving.FirstOrDefault(), serving);
        }

        var first = (int)((draw >> 32) % (ulong)serving.Length);
        var second = (int)((draw & 0xFFFFFFFF) % (ulong)(serving.Length - 1));
        second += second >= first ? 1 : 0; // two different relays
        var chosen = Utilization(serving[second]) < Utilization(serving[first]) ? serving[second] : serving[first];
        return (chosen, [chosen, .. serving.Where(n => !ReferenceEquals(n, chosen))]);
    }

    /// <summary>The next of a sequence of draws that looks random (splitmix64 over a counter): thread-safe, allocation-free, for the lookup path.</summary>
    public static ulong NextDraw()
    {
        var z = unchecked((ulong)Interlocked.Increment(ref _counter) * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static long _counter;

    private static double Utilization(NodeSummary node) => node.Load?.Utilization ?? 0;
}
