using BenchmarkDotNet.Attributes;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Benchmarks.Routing;

/// <summary>
/// The full route table (primary + disjoint backup for every ordered pair) of an N-room full mesh, on one
/// core and on two (<see cref="RouteComputer.Parallelism"/>). Target: ≤ 500 ms at 1,000 rooms.
/// </summary>
[MemoryDiagnoser]
public class FullTableBenchmark
{
    private TopologySnapshot _topology = null!;
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
    }

    [Benchmark]
    public RouteTable FullTable() => _computer.Compute(_topology);
}
