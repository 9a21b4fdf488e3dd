namespace Msdn.Graph.Topology;

/// <summary>
/// Which of a room's relays (nodes) to use for a key: rendezvous (highest random weight) hashing. Every node
/// gets a score for the key and the highest wins, so a key keeps its node while the room's nodes stay the same,
/// a node leaving moves only the keys it held (each to its next-best), and keys spread evenly. The hash is fixed
/// (not the process's randomized string hash): every relay, and anyone who reads the directory, computes the
/// same choice.
/// </summary>
public static class NodeChoice
{
    /// <summary>The nodes in order of preference for <paramref name="key"/>: the first is the choice, the rest its fallbacks in turn.</summary>
    public static IReadOnlyList<T> Order<T>(string key, IEnumerable<T> nodes, Func<T, string> name)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(name);
        return [.. nodes.Select(n => (Node: n, Score: Score(key, name(n)))).OrderByDescending(s => s.Score).ThenBy(s => name(s.Node), StringComparer.Ordinal).Select(s => s.Node)];
    }

    /// <summary>
    /// The nodes in order of preference for <paramref name="key"/>, each weighted by <paramref name="weight"/> (positive:
    /// a node's share of the keys it comes first for is its share of the weights). Weighted rendezvous: a node's score
    /// is −w / ln(u), u its hash scaled into (0, 1), so equal weights give <see cref="Order{T}(string, IEnumerable{T}, Func{T, string})"/>'s
    /// order, and a node's weight changing moves only keys to or from that node.
    /// </summary>
    public static IReadOnlyList<T> Order<T>(string key, IEnumerable<T> nodes, Func<T, string> name, Func<T, double> weight)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(weight);
        return [.. nodes.Select(n => (Node: n, Score: WeightedScore(Score(key, name(n)), weight(n)))).OrderByDescending(s => s.Score).ThenBy(s => name(s.Node), StringComparer.Ordinal).Select(s => s.Node)];
    }

    /// <summary>−w / ln(u) for the hash scaled into the open interval (0, 1): increasing in the hash, proportional to the weight.</summary>
    private static double WeightedScore(ulong score, double weight)
    {
        if (!(weight > 0) || !double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A node's weight must be positive and finite.");
        }

        var u = ((score >> 11) + 0.5) / (1UL << 53);
        return -weight / Math.Log(u);
    }

    /// <summary>The key's score at a node: a 64-bit FNV-1a hash of both, mixed (splitmix64's finalizer) so that near-identical names score far apart.</summary>
    public static ulong Score(string key, string node)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(node);
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ '|') * 1099511628211UL;
        foreach (var c in node)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return hash;
    }
}
