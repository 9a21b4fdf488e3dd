using BenchmarkDotNet.Attributes;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Benchmarks.Routing;

/// <summary>
/// One link's quality changes in a 1,000-room full mesh; measured: the incremental engine producing the
/// updated table (new version). Each iteration changes a different, seeded random link, by kind:
/// Drift (RTT ±5 %, what probes report most of the time), Worse (+50 %), Better (−40 %), Down, and Up
/// (a down link restored). Target: ≤ 20 ms.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MaxColumn]
[InvocationCount(1)]
[WarmupCount(3)]
[IterationCount(40)]
public class LinkUpdateBenchmark
{
    private RouteEngine _engine = null!;
    private Link[] _links = [];
    private Random _random = null!;
    private Link _next = null!;

    public enum Change
    {
        Drift,
        Worse,
        Better,
        Down,
        Up,
    }

    [Params(1000)]
    public int Rooms { get; set; }

    [Params(Change.Drift, Change.Worse, Change.Better, Change.Down, Change.Up)]
    public Change Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var topology = FullMeshWorld.Create(Rooms, seed: 42);
        _engine = new RouteEngine(new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions()), topology);
        _links = [.. topology.Links];
        _random = new Random(7);
    }

    [IterationSetup]
    public void PickLink()
    {
        var link = _links[_random.Next(_links.Length)];
        var q = link.Quality;
        var drift = 1 + ((_random.NextDouble() - 0.5) * 0.1);
        _next = Kind switch
        {
            Change.Drift => link with { Quality = new LinkQuality(q.RttMs * drift, q.JitterMs, q.Loss, true, q.MeasuredAt) },
            Change.Worse => link with { Quality = new LinkQuality(q.RttMs * 1.5, q.JitterMs, q.Loss, true, q.MeasuredAt) },
            Change.Better => link with { Quality = new LinkQuality(q.RttMs * 0.6, q.JitterMs, q.Loss, true, q.MeasuredAt) },
            Change.Down => link with { Quality = new LinkQuality(q.RttMs, q.JitterMs, q.Loss, false, q.MeasuredAt) },
            _ => link,
        };

        if (Kind == Change.Up)
        {
            // Not measured: take the link down first, so the measured change is its recovery.
            _engine.UpdateLink(link with { Quality = new LinkQuality(q.RttMs, q.JitterMs, q.Loss, false, q.MeasuredAt) });
        }
    }

    [Benchmark]
    public RouteTable OneLinkChanges() => _engine.UpdateLink(_next);
}
