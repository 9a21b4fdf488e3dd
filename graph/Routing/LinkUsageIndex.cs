using Msdn.Graph.Tables;

namespace Msdn.Graph.Routing;

/// <summary>
/// Which pairs' published paths cross each link, for the pairs the engine cannot find through the
/// next-hop tables (kept incumbents and searched backups). Lets a link change find them without
/// scanning every route.
/// </summary>
internal sealed class LinkUsageIndex(int roomCount)
{
    private readonly Dictionary<int, HashSet<int>> _pairsByLink = [];
    private readonly HashSet<int> _indexed = [];

    public int Count => _indexed.Count;

    public bool Contains(int pair) => _indexed.Contains(pair);

    /// <summary>The indexed pairs (s * N + t) whose primary or backup crosses u→v.</summary>
    public IEnumerable<int> PairsCrossing(int u, int v) =>
        _pairsByLink.TryGetValue((u * roomCount) + v, out var pairs) ? pairs : [];

    public void Add(int pair, RouteRow row)
    {
        if (!_indexed.Add(pair))
        {
            return;
        }

        ForEachLink(pair, row, link =>
        {
            if (!_pairsByLink.TryGetValue(link, out var pairs))
            {
                _pairsByLink[link] = pairs = [];
            }

            pairs.Add(pair);
        });
    }

    /// <summary>Forgets the pair; <paramref name="row"/> must be the row it was added with.</summary>
    public void Remove(int pair, RouteRow row)
    {
        if (!_indexed.Remove(pair))
        {
            return;
        }

        ForEachLink(pair, row, link =>
        {
            if (_pairsByLink.TryGetValue(link, out var pairs) && pairs.Remove(pair) && pairs.Count == 0)
            {
                _pairsByLink.Remove(link);
            }
        });
    }

    private void ForEachLink(int pair, RouteRow row, Action<int> visit)
    {
        var t = pair % roomCount;
        var slot = row.Slots[t];
        if (!slot.HasRoute)
        {
            return;
        }

        Visit(row.Source, row.PrimaryIntermediates(t), t, visit);
        if (slot.HasBackup)
        {
            Visit(row.Source, row.BackupIntermediates(t), t, visit);
        }
    }

    private void Visit(int s, ReadOnlySpan<int> intermediates, int t, Action<int> visit)
    {
        var previous = s;
        foreach (var hop in intermediates)
        {
            visit((previous * roomCount) + hop);
            previous = hop;
        }

        visit((previous * roomCount) + t);
    }
}
