using BenchmarkDotNet.Attributes;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Benchmarks.Routing;

/// <summary>
/// The full route table (primary + disjoint backup for every ordered pair) of an N-room full mesh, on one
/// core and on two (<see cref="RouteComputer.Parallelism"/>). Target: ≤ 500 ms at 1,000 rooms. And what a
/// controller does every second: the table again after every link's RTT drifted by up to ±2 %, with
/// hysteresis against the first and the entries of pairs whose paths held kept.
/// </summary>
[MemoryDiagnoser]
public class FullTableBenchmark
{
    private TopologySnapshot _topology = null!;
    private TopologySnapshot _drifted = null!;
    private RouteTable _previous = null!;
    private RouteComputer _computer = null!;

    [Params(250, 500, 1000)]
    public int Rooms { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _topology = FullMeshWorld.Create(Rooms, seed: 42);
        _computer = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions(), Threads);
        _previous = _computer.Compute(_topology);
        var random = new Random(7);
        _drifted = TopologySnapshot.Create(_topology.Rooms, _topology.Links.Select(l =>
            l with { Quality = new LinkQuality(l.Quality.RttMs * (0.98 + (0.04 * random.NextDouble())), l.Quality.JitterMs, l.Quality.Loss, l.Quality.IsUp, l.Quality.MeasuredAt) }));
    }

    [Benchmark]
    public RouteTable FullTable() => _computer.Compute(_topology);

    [Benchmark]
    public RouteTable Recompute() => _computer.ComputeKeepingUnchangedRoutes(_drifted, _previous);
}
