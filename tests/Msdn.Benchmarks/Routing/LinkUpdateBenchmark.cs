using BenchmarkDotNet.Attributes;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Benchmarks.Routing;

/// <summary>
/// One link's quality changes in a 1,000-room full mesh: the updated table (new version) from the
/// incremental engine. Each invocation moves a different link (seeded), alternating worse and better
/// RTTs and down/up, so the figure covers every kind of change. Target: ≤ 20 ms.
/// </summary>
[MemoryDiagnoser]
public class LinkUpdateBenchmark
{
    private RouteEngine _engine = null!;
    private Link[] _links = [];
    private Random _random = null!;
    private int _step;

    [Params(1000)]
    public int Rooms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var topology = FullMeshWorld.Create(Rooms, seed: 42);
        _engine = new RouteEngine(new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions()), topology);
        _links = [.. topology.Links];
        _random = new Random(7);
    }

    [Benchmark]
    public RouteTable OneLinkChanges()
    {
        var link = _links[_random.Next(_links.Length)];
        var q = link.Quality;
        var changed = (_step++ % 4) switch
        {
            0 => new LinkQuality(q.RttMs * 1.5, q.JitterMs, q.Loss, true, q.MeasuredAt),  // worse
            1 => new LinkQuality(q.RttMs * 0.6, q.JitterMs, q.Loss, true, q.MeasuredAt),  // better
            2 => new LinkQuality(q.RttMs, q.JitterMs, q.Loss, false, q.MeasuredAt),       // down
            _ => new LinkQuality(q.RttMs, q.JitterMs, 0.03, true, q.MeasuredAt),          // lossy
        };
        return _engine.UpdateLink(link with { Quality = changed });
    }
}
