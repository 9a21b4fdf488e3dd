using System.Globalization;
using Msdn.Graph.Costs;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Sim.Output;

/// <summary>Writes a route table as CSV: <c>from,to,direct_ms,cost_ms,path,backup_path</c>, one row per ordered pair with a path.</summary>
public static class RouteCsvWriter
{
    public const string Header = "from,to,direct_ms,cost_ms,path,backup_path";

    public static void Write(TextWriter writer, RouteTable table, TopologySnapshot topology, CostModel costs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(costs);
        var direct = DirectCosts(topology, costs);
        writer.WriteLine(Header);
        foreach (var route in table.Routes())
        {
            var directMs = direct.TryGetValue((route.From, route.To), out var d) ? Format(d) : string.Empty;
            var backup = route.Backup is { } b ? Route.Format(b) : string.Empty;
            writer.WriteLine($"{route.From},{route.To},{directMs},{Format(route.Cost)},{Route.Format(route.Primary)},{backup}");
        }
    }

    /// <summary>The cost of each usable direct link under the cost model.</summary>
    public static Dictionary<(RoomId, RoomId), double> DirectCosts(TopologySnapshot topology, CostModel costs)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(costs);
        var direct = new Dictionary<(RoomId, RoomId), double>();
        foreach (var link in topology.Links)
        {
            var cost = costs.Cost(link.Quality);
            if (float.IsFinite(cost))
            {
                direct[(link.From, link.To)] = cost;
            }
        }

        return direct;
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
