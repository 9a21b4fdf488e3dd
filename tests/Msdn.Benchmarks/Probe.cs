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
    Console.WriteLine($"search ms {BackupFinder.SearchTicks/1e6} direct {BackupFinder.DirectSearches}"); BackupFinder.SearchTicks=0; BackupFinder.DirectSearches=0;
    Console.WriteLine($"graph {t0} fw {t1-t0} cand {t2-t1} full {t3} searches {comp.LastBackupSearches}");
    }
  }
}
