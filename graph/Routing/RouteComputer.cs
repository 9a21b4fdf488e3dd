using Msdn.Graph.Costs;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// Computes a full route table from a topology snapshot: for every ordered pair, the least-cost primary
/// (unless hysteresis keeps the previous table's), its expected cost, and a disjoint backup.
/// Pure: the same snapshot and previous table always give the same table, on any number of threads
/// (each pair's routes depend only on the graph, its shortest paths and the previous table).
/// </summary>
public sealed class RouteComputer
{
    /// <summary>Edge of the square of pairs whose rows' state the per-pair pass keeps in cache at once.</summary>
    private const int Tile = 32;

    private readonly CostModel _costs;
    private readonly HysteresisOptions _hysteresis;

    /// <param name="parallelism">Threads one computation may use (1: the caller's only). At 500 rooms a table is ~100 ms of one core, most of it per-target work that splits cleanly.</param>
    public RouteComputer(CostModel costs, HysteresisOptions hysteresis, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(hysteresis);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        Parallelism = parallelism;
        var result = new HysteresisOptionsValidator().Validate(null, hysteresis);
        if (result.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(HysteresisOptions.SectionName, typeof(HysteresisOptions), result.Failures);
        }

        _costs = costs;
        _hysteresis = hysteresis;
    }

    public CostModel Costs => _costs;

    public int Parallelism { get; }

    public HysteresisOptions Hysteresis => _hysteresis;

    /// <summary>Pairs whose backup needed a search beyond the fast bound in the last computation (diagnostics).</summary>
    public long LastBackupSearches { get; private set; }

    public RouteTable Compute(TopologySnapshot topology, RouteTable? previous = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var graph = DenseGraph.From(topology, _costs, Parallelism);
        return Compute(topology, graph, ShortestPaths.Compute(graph, Parallelism), previous);
    }

    /// <summary>
    /// <see cref="Compute(TopologySnapshot, RouteTable?)"/>, then <see cref="RouteTable.KeepingUnchangedRoutesOf"/>
    /// <paramref name="previous"/>, in one pass: a pair whose paths hold keeps its old entry as it is decided, and a
    /// row whose pairs all hold is <paramref name="previous"/>'s very row (no copy, no second comparison). What a
    /// controller publishes: most recomputations move a handful of pairs among a quarter of a million.
    /// </summary>
    public RouteTable ComputeKeepingUnchangedRoutes(TopologySnapshot topology, RouteTable previous)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(previous);
        var graph = DenseGraph.From(topology, _costs, Parallelism);
        return Compute(topology, graph, ShortestPaths.Compute(graph, Parallelism), previous, keepUnchanged: true);
    }

    /// <param name="keepUnchanged">Keep <paramref name="previous"/>'s entries of pairs whose paths hold (when its rooms are these; else nothing is kept, as <see cref="RouteTable.KeepingUnchangedRoutesOf"/> does).</param>
    internal RouteTable Compute(TopologySnapshot topology, DenseGraph graph, ShortestPaths paths, RouteTable? previous, bool keepUnchanged = false)
    {
        var incumbent = previous is null ? null : RouteTableRemap.To(previous, topology.Rooms);
        var keep = keepUnchanged && incumbent is not null && ReferenceEquals(incumbent, previous);
        var n = graph.Count;
        var rows = new RouteRow[n];

        // Each range of sources (a whole number of tiles) has its row builders and its own router.
        long searches = 0;
        Workers.ForRanges(n, Parallelism, (from, to) =>
        {
            var builders = new RouteRowBuilder[to - from];
            for (var s = from; s < to; s++)
            {
                builders[s - from] = new RouteRowBuilder();
                if (keep)
                {
                    builders[s - from].StartAs(incumbent!.Rows[s]);
                }
                else
                {
                    builders[s - from].Start(s, n);
                }
            }

            var router = new PairRouter(graph, paths, _hysteresis);

            // In tiles of Tile targets × Tile sources: what is read for a target (its next-hop and distance
            // rows) and what is read and written for a source (its incumbent row's slots, its builder's slots
            // and the end of its hops) both stay in cache across the tile; walking all sources for one target
            // instead touched a new line of every source's slots per pair. Each builder still receives its
            // targets in increasing order (it only grows at its end), so the rows are the same.
            for (var tile = 0; tile < n; tile += Tile)
            {
                for (var sources = from; sources < to; sources += Tile)
                {
                    for (var t = tile; t < Math.Min(n, tile + Tile); t++)
                    {
                        for (var s = sources; s < Math.Min(to, sources + Tile); s++)
                        {
                            if (s != t)
                            {
                                var candidate = paths.AlternateHopAt(s, t);
                                router.Route(s, t, incumbent?.Rows[s], candidate < 0 ? BackupFinder.NoFirstHop : candidate, builders[s - from], keep);
                            }
                        }
                    }
                }
            }

            for (var s = from; s < to; s++)
            {
                rows[s] = builders[s - from].Build();
            }

            Interlocked.Add(ref searches, router.BackupSearches);
        }, grain: Tile);

        LastBackupSearches = searches;
        return new RouteTable((previous?.Version ?? 0) + 1, topology.Rooms, rows);
    }
}
