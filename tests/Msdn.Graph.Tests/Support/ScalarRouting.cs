using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Support;

/// <summary>The route table built pair by pair with the scalar backup scan (no vectorised row pass): the reference for the fast path.</summary>
internal static class ScalarRouting
{
    public static RouteTable Compute(TopologySnapshot topology, CostModel costs)
    {
        var graph = DenseGraph.From(topology, costs);
        var paths = ShortestPaths.Compute(graph);
        var router = new PairRouter(graph, paths, HysteresisOptions.None);
        var builder = new RouteRowBuilder();
        var rows = new RouteRow[graph.Count];
        for (var s = 0; s < graph.Count; s++)
        {
            builder.Start(s, graph.Count);
            for (var t = 0; t < graph.Count; t++)
            {
                if (s != t)
                {
                    router.Route(s, t, null, BackupFinder.ScanFirstHop, builder);
                }
            }

            rows[s] = builder.Build();
        }

        return new RouteTable(1, topology.Rooms, rows);
    }
}
