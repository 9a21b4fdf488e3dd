using Msdn.Graph.Costs;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// Computes a full route table from a topology snapshot: for every ordered pair, the least-cost primary
/// (unless hysteresis keeps the previous table's), its expected cost, and a disjoint backup.
/// Pure and single-threaded: the same snapshot and previous table always give the same table.
/// </summary>
public sealed class RouteComputer
{
    private readonly CostModel _costs;
    private readonly HysteresisOptions _hysteresis;
    public RouteComputer(CostModel costs, HysteresisOptions hysteresis)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(hysteresis);
        var result = new HysteresisOptionsValidator().Validate(null, hysteresis);
        if (result.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(HysteresisOptions.SectionName, typeof(HysteresisOptions), result.Failures);
        }

        _costs = costs;
        _hysteresis = hysteresis;
    }

    public CostModel Costs => _costs;

    public HysteresisOptions Hysteresis => _hysteresis;

    /// <summary>Pairs whose backup needed a search beyond the fast bound in the last computation (diagnostics).</summary>
    public long LastBackupSearches { get; private set; }

    public RouteTable Compute(TopologySnapshot topology, RouteTable? previous = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var graph = DenseGraph.From(topology, _costs);
        return Compute(topology, graph, ShortestPaths.Compute(graph), previous);
    }

    /// <param name="irregular">When given, collects s * N + t of every pair whose routes are not implied by the next-hop tables.</param>
    internal RouteTable Compute(TopologySnapshot topology, DenseGraph graph, ShortestPaths paths, RouteTable? previous, HashSet<int>? irregular = null)
    {
        var incumbent = previous is null ? null : RouteTableRemap.To(previous, topology.Rooms);
        var router = new PairRouter(graph, paths, _hysteresis);
        var n = graph.Count;
        var builders = new RouteRowBuilder[n];
        for (var s = 0; s < n; s++)
        {
            builders[s] = new RouteRowBuilder();
            builders[s].Start(s, n);
        }

        // Target-major: everything read for one target (its next-hop and distance rows) stays in cache
        // while every source's route to it is decided; each source's row builder only grows at its end.
        for (var t = 0; t < n; t++)
        {
            for (var s = 0; s < n; s++)
            {
                if (s != t)
                {
                    var candidate = paths.AlternateHopAt(s, t);
                    router.Route(s, t, incumbent?.Rows[s], candidate < 0 ? BackupFinder.NoFirstHop : candidate, builders[s]);
                    if (irregular is not null && router.LastWasIrregular)
                    {
                        irregular.Add((s * n) + t);
                    }
                }
            }
        }

        LastBackupSearches = router.BackupSearches;
        return new RouteTable((previous?.Version ?? 0) + 1, topology.Rooms, builders.Select(b => b.Build()).ToArray());
    }
}
