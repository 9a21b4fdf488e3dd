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

    public List<string> Violations { get; } = [];

    public long Checks { get; private set; }

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

    public void ControllerUnreachable(long untilUs) => _controllerUpSinceUs = untilUs;

    public void Check(RouteTable table, long computedFromUs, RoomId[] ids)
    {
        var due = _declaredDown.Where(d => d.Value + ReportSlackUs <= computedFromUs && d.Value >= _controllerUpSinceUs).Select(d => d.Key).ToHashSet();
        if (due.Count == 0)
        {
            return;
        }

        Checks++;
        foreach (var route in table.Routes())
        {
            var path = route.Primary;
            for (var i = 0; i < path.Length - 1; i++)
            {
                var hop = (Parse(path[i]), Parse(path[i + 1]));
                if (due.Contains(hop) && Violations.Count < 50)
                {
                    Violations.Add($"table v{table.Version} (inputs at {computedFromUs / 1e6:F3} s) routes {Route.Format(path)} over {ids[hop.Item1]}>{ids[hop.Item2]}, declared down at {_declaredDown[hop] / 1e6:F3} s");
                }
            }
        }
    }

    private static int Parse(RoomId room) => int.Parse(room.Value.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
}
