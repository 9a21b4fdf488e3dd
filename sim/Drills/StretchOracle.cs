using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills;

/// <summary>The latency-only optimum over the true link RTTs: the yardstick of path stretch.</summary>
public static class StretchOracle
{
    public static RouteTable Create(int rooms, Func<int, int, double> rttMs)
    {
        ArgumentNullException.ThrowIfNull(rttMs);
        var ids = Enumerable.Range(0, rooms).Select(i => new RoomId(ScenarioLoader.RoomName(i))).ToArray();
        var links = new List<Link>();
        for (var i = 0; i < rooms; i++)
        {
            for (var j = 0; j < rooms; j++)
            {
                if (i != j)
                {
                    links.Add(new Link(ids[i], ids[j], LinkQuality.FromRtt(rttMs(i, j))));
                }
            }
        }

        return new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions { MarginMs = 0, MarginPercent = 0 }).Compute(TopologySnapshot.Create(ids, links));
    }
}
