using System.Diagnostics;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
namespace Msdn.Benchmarks;
public static class Probe {
  public static void Run() {
    var topo = Msdn.Benchmarks.Routing.FullMeshWorld.Create(1000, 42);
    var costs = new CostModel(new CostModelOptions());
    for (int rep = 0; rep < 4; rep++) {
    var sw = Stopwatch.StartNew();
    var g = DenseGraph.From(topo, costs); var t0 = sw.ElapsedMilliseconds;
    var p = ShortestPaths.Compute(g); var t1 = sw.ElapsedMilliseconds;
    for (int t = 0; t < g.Count; t++) p.ComputeFirstHops(g, t);
    var t2 = sw.ElapsedMilliseconds;
    var comp = new RouteComputer(costs, HysteresisOptions.None);
    var sw2 = Stopwatch.StartNew(); var table = comp.Compute(topo); var t3 = sw2.ElapsedMilliseconds;

    Console.WriteLine($"graph {t0} fw {t1-t0} cand {t2-t1} full {t3} searches {comp.LastBackupSearches}");
    }
  }
}
public static class Probe2 {
  public static void Run() {
    var topo = Msdn.Benchmarks.Routing.FullMeshWorld.Create(1000, 42);
    var engine = new RouteEngine(new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions()), topo);
    var rnd = new Random(7); var links = topo.Links;
    var times = new List<double>();
    for (int i = 0; i < 200; i++) {
      var link = links[rnd.Next(links.Length)]; var q = link.Quality;
      var nq = (i % 4) switch { 0 => new Msdn.Graph.Topology.LinkQuality(q.RttMs*1.5, q.JitterMs, q.Loss, true, q.MeasuredAt), 1 => new Msdn.Graph.Topology.LinkQuality(q.RttMs*0.6, q.JitterMs, q.Loss, true, q.MeasuredAt), 2 => new Msdn.Graph.Topology.LinkQuality(q.RttMs, q.JitterMs, q.Loss, false, q.MeasuredAt), _ => new Msdn.Graph.Topology.LinkQuality(q.RttMs, q.JitterMs, 0.03, true, q.MeasuredAt) };
      var sw = Stopwatch.StartNew(); engine.UpdateLink(link with { Quality = nq }); times.Add(sw.Elapsed.TotalMilliseconds);
      if (i < 12) Console.WriteLine($"{i%4} {sw.Elapsed.TotalMilliseconds:F2} ms rerouted {engine.LastPairsRerouted}");
    }
    times.Sort(); Console.WriteLine($"p50 {times[100]:F2} p90 {times[180]:F2} max {times[^1]:F2}");
  }
}
