using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// Checked on every published table: no primary crosses a link that a probe agent declared down (and has
/// not declared up since) early enough for its report to reach the controller before the computation
/// started — "no route through a down link after detection and one recomputation".
/// </summary>
internal sealed class RouteInvariant
{
    /// <summary>Time for the at-once report to get through: the exchange in flight, then the report's own (generous).</summary>
    public static readonly long ReportSlackUs = 500_000;

    private readonly Dictionary<(int, int), long> _declaredDown = [];
    private long _controllerUpSinceUs = long.MinValue;

    public void Declared(int a, int b, bool up, long atUs)
    {
        if (up)
        {
            _declaredDown.Remove((a, b));
        }
        else
        {
            _declaredDown[(a, b)] = atUs;
        }
    }

    /// <summary>A dead room's agent declares nothing more: its own links are forgotten (links into it are what routes need to avoid).</summary>
    public void RoomDown(int room)
    {
        foreach (var key in _declaredDown.Keys.Where(k => k.Item1 == room).ToList())
        {
            _declaredDown.Remove(key);
        }
    }

    /// <summary>Reports sent while the controller is unreachable are lost: nothing declared before it is back (and reported again) is due.</summary>
    public void ControllerUnreachable() => _controllerUpSinceUs = long.MaxValue;

    public void ControllerReachable(long sinceUs) => _controllerUpSinceUs = sinceUs;

    /// <summary>The links a table computed from inputs taken at <paramref name="computedFromUs"/> must avoid, with when each was declared down.</summary>
    public Dictionary<(int, int), long> DueBy(long computedFromUs) =>
        _declaredDown.Where(d => d.Value + ReportSlackUs <= computedFromUs && d.Value >= _controllerUpSinceUs).ToDictionary(d => d.Key, d => d.Value);

    /// <summary>The violations in one table (pure: runs off the simulation thread).</summary>
    public static List<string> Check(RouteTable table, long computedFromUs, Dictionary<(int, int), long> due, RoomId[] ids)
    {
        var violations = new List<string>();
        if (due.Count == 0)
        {
            return violations;
        }

        var n = ids.Length;
        var dueHop = new bool[n * n];
        foreach (var (a, b) in due.Keys)
        {
            dueHop[(a * n) + b] = true;
        }

        var room = table.Rooms.Select(r => ScenarioLoader.RoomIndex(r.Value)).ToArray(); // the table's index → the drill's
        foreach (var route in table.RoutesWhosePrimaryTakes((from, to) => dueHop[(room[from] * n) + room[to]]).Take(50))
        {
            var path = route.Primary;
            for (var i = 0; i < path.Length - 1; i++)
            {
                var hop = (ScenarioLoader.RoomIndex(path[i].Value), ScenarioLoader.RoomIndex(path[i + 1].Value));
                if (due.TryGetValue(hop, out var declared) && violations.Count < 50)
                {
                    violations.Add($"table v{table.Version} (inputs at {computedFromUs / 1e6:F3} s) routes {Route.Format(path)} over {ids[hop.Item1]}>{ids[hop.Item2]}, declared down at {declared / 1e6:F3} s");
                }
            }
        }

        return violations;
    }
}
