using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Support;

/// <summary>Route tables built pair by pair, one source after another: the references for the fast paths.</summary>
internal static class ScalarRouting
{
    /// <summary>With the scalar backup scan (no vectorised row pass) and no hysteresis.</summary>
    public static RouteTable Compute(TopologySnapshot topology, CostModel costs) =>
        new(1, topology.Rooms, SourceBySource(topology, costs, HysteresisOptions.None, previous: null, sweptCandidates: false));

    /// <summary>
    /// Every source's row, its targets in order, with hysteresis against <paramref name="previous"/>; the
    /// backup's first hop from the sweep (as the route computer passes it) or scanned pair by pair.
    /// </summary>
    public static RouteRow[] SourceBySource(TopologySnapshot topology, CostModel costs, HysteresisOptions margins, RouteTable? previous, bool sweptCandidates)
    {
        var graph = DenseGraph.From(topology, costs);
        var paths = ShortestPaths.Compute(graph);
        var incumbent = previous is null ? null : RouteTableRemap.To(previous, topology.Rooms);
        var router = new PairRouter(graph, paths, margins);
        var builder = new RouteRowBuilder();
        var rows = new RouteRow[graph.Count];
        for (var s = 0; s < graph.Count; s++)
        {
            builder.Start(s, graph.Count);
            for (var t = 0; t < graph.Count; t++)
            {
                if (s != t)
                {
                    var candidate = !sweptCandidates ? BackupFinder.ScanFirstHop : paths.AlternateHopAt(s, t) is var hop && hop >= 0 ? hop : BackupFinder.NoFirstHop;
                    router.Route(s, t, incumbent?.Rows[s], candidate, builder);
                }
            }

            rows[s] = builder.Build();
        }

        return rows;
    }
}
