using Msdn.Graph.Costs;
using Msdn.Graph.Topology;
using QuikGraph;
using QuikGraph.Algorithms.ShortestPath;

namespace Msdn.Graph.Tests.Support;

/// <summary>
/// The slow, obviously-right answers the route computer is checked against: QuikGraph's Dijkstra on
/// the same costs, optionally with rooms or links removed, in doubles.
/// </summary>
public sealed class Oracle
{
    private readonly TopologySnapshot _topology;
    private readonly Dictionary<(RoomId, RoomId), double> _costs = [];

    public Oracle(TopologySnapshot topology, CostModel costs)
    {
        _topology = topology;
        foreach (var link in topology.Links)
        {
            var cost = costs.Cost(link.Quality);
            if (float.IsFinite(cost))
            {
                _costs[(link.From, link.To)] = cost;
            }
        }
    }

    public bool HasUsableLink(RoomId from, RoomId to) => _costs.ContainsKey((from, to));

    public double LinkCost(RoomId from, RoomId to) => _costs[(from, to)];

    /// <summary>Least cost from → to avoiding the given rooms (other than the ends) and links; +infinity when unreachable.</summary>
    public double Distance(RoomId from, RoomId to, ISet<RoomId>? withoutRooms = null, ISet<(RoomId, RoomId)>? withoutLinks = null)
    {
        var graph = new AdjacencyGraph<RoomId, Edge<RoomId>>();
        graph.AddVertexRange(_topology.Rooms);
        foreach (var ((a, b), _) in _costs)
        {
            var roomBlocked = withoutRooms is not null && ((withoutRooms.Contains(a) && a != from) || (withoutRooms.Contains(b) && b != to));
            if (!roomBlocked && (withoutLinks is null || !withoutLinks.Contains((a, b))))
            {
                graph.AddEdge(new Edge<RoomId>(a, b));
            }
        }

        var dijkstra = new DijkstraShortestPathAlgorithm<RoomId, Edge<RoomId>>(graph, e => _costs[(e.Source, e.Target)]);
        dijkstra.Compute(from);
        // QuikGraph reports unreachable vertices at double.MaxValue.
        return dijkstra.TryGetDistance(to, out var distance) && distance < double.MaxValue ? distance : double.PositiveInfinity;
    }

    public double PathCost(IReadOnlyList<RoomId> path)
    {
        var cost = 0.0;
        for (var i = 0; i < path.Count - 1; i++)
        {
            cost += _costs[(path[i], path[i + 1])];
        }

        return cost;
    }

    public static bool Close(double expected, double actual) =>
        (double.IsPositiveInfinity(expected) && double.IsPositiveInfinity(actual))
        || Math.Abs(expected - actual) <= 1e-3 * Math.Max(1, Math.Abs(expected));
}
