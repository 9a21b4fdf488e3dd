using BenchmarkDotNet.Attributes;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Benchmarks.Routing;

/// <summary>
/// Where a full table's time goes, one phase at a time on one thread: the dense cost matrix from the
/// snapshot, all-pairs least costs (Floyd–Warshall), the first-hop sweep, and the per-pair rows (primary,
/// hysteresis against the previous table, disjoint backup). <see cref="FullTableBenchmark"/> is their sum.
/// </summary>
[MemoryDiagnoser]
public class FullTablePhasesBenchmark
{
    private TopologySnapshot _topology = null!;
    private RouteComputer _computer = null!;
    private DenseGraph _graph = null!;
    private ShortestPaths _paths = null!;
    private RouteTable _previous = null!;
    private float[] _distances = [];

    [Params(500)]
    public int Rooms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _topology = FullMeshWorld.Create(Rooms, seed: 42);
        var costs = new CostModel(new CostModelOptions());
        _computer = new RouteComputer(costs, new HysteresisOptions());
        _graph = DenseGraph.From(_topology, costs);
        _paths = ShortestPaths.Compute(_graph);
        _previous = _computer.Compute(_topology);
        _distances = new float[_graph.TransposedWeights.Length];
    }

    [Benchmark]
    public object Graph() => DenseGraph.From(_topology, _computer.Costs);

    [Benchmark]
    public float[] LeastCosts()
    {
        Array.Copy(_graph.TransposedWeights, _distances, _distances.Length);
        for (var i = 0; i < _graph.Count; i++)
        {
            _distances[(i * _graph.Stride) + i] = 0;
        }

        FloydWarshall.Run(_distances, _graph.Count, _graph.Stride);
        return _distances;
    }

    [Benchmark]
    public object LeastCostsAndFirstHops() => ShortestPaths.Compute(_graph);

    [Benchmark]
    public RouteTable Rows() => _computer.Compute(_topology, _graph, _paths, _previous);
}
