using Msdn.Graph.Costs;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// Computes a full route table from a topology snapshot: for every ordered pair, the least-cost primary
/// (unless hysteresis keeps the previous table's), its expected cost, and a disjoint backup.
/// Pure: the same snapshot and previous table always give the same table.
/// </summary>
public sealed class RouteComputer
{
    private readonly CostModel _costs;
    private readonly HysteresisOptions _hysteresis;
    private readonly int _parallelism;

    /// <param name="parallelism">Sources routed at once after the (sequential) all-pairs pass; 1 keeps it on one core.</param>
    public RouteComputer(CostModel costs, HysteresisOptions hysteresis, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(hysteresis);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        var result = new HysteresisOptionsValidator().Validate(null, hysteresis);
        if (result.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(HysteresisOptions.SectionName, typeof(HysteresisOptions), result.Failures);
        }

        _costs = costs;
        _hysteresis = hysteresis;
        _parallelism = parallelism;
    }

    public CostModel Costs => _costs;

    public HysteresisOptions Hysteresis => _hysteresis;

    /// <summary>Pairs whose backup needed a search beyond the fast bound in the last computation (diagnostics).</summary>
    public long LastBackupSearches { get; private set; }

    public RouteTable Compute(TopologySnapshot topology, RouteTable? previous = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var graph = DenseGraph.From(topology, _costs);
        var paths = ShortestPaths.Compute(graph);
        var incumbent = previous is null ? null : RouteTableRemap.To(previous, topology.Rooms);
        var rows = new RouteRow[graph.Count];
        long searches = 0;
        Parallel.For(
            0,
            graph.Count,
            new ParallelOptions { MaxDegreeOfParallelism = _parallelism },
            () => new RowWorker(graph, paths, _hysteresis),
            (s, _, worker) =>
            {
                rows[s] = worker.RouteSource(s, incumbent?.Rows[s]);
                return worker;
            },
            worker => Interlocked.Add(ref searches, worker.Router.BackupSearches));
        LastBackupSearches = searches;
        return new RouteTable((previous?.Version ?? 0) + 1, topology.Rooms, rows);
    }

    /// <summary>Per-thread scratch for routing whole source rows.</summary>
    internal sealed class RowWorker(DenseGraph graph, ShortestPaths paths, HysteresisOptions hysteresis)
    {
        private readonly float[] _bound = new float[graph.Stride];
        private readonly int[] _firstHop = new int[graph.Stride];
        private readonly RouteRowBuilder _builder = new();

        public PairRouter Router { get; } = new(graph, paths, hysteresis);

        public RouteRow RouteSource(int s, RouteRow? previous)
        {
            BackupCandidates.ComputeRow(graph, paths, s, _bound, _firstHop);
            _builder.Start(s, graph.Count);
            for (var t = 0; t < graph.Count; t++)
            {
                if (t != s)
                {
                    Router.Route(s, t, previous, _firstHop[t] < 0 ? BackupFinder.NoFirstHop : _firstHop[t], _builder);
                }
            }

            return _builder.Build();
        }
    }
}
