using System.Globalization;
using System.Net;
using System.Text;

namespace Msdn.Sim.Drills;

/// <summary>report.html's control-traffic section: each kind's bytes per relay per second over the drill, the faults marked, and the totals by kind.</summary>
internal static class ControlChart
{
    private const int Width = 900;
    private const int Height = 140;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly Dictionary<string, string> KindColours = new(StringComparer.Ordinal)
    {
        ["reports"] = "#2b6cb0",
        ["routes"] = "#c05621",
        ["directory"] = "#2f855a",
        ["certificate"] = "#805ad5",
        ["unattributed"] = "#718096",
    };

    public static string Render(DrillResults results, ControlTraffic control)
    {
        var html = new StringBuilder();
        html.Append(Inv, $"<p>Relays to the controller {control.ToControllerBytes / 1024.0:F0} KiB ({control.ToControllerPerRelayPerSecond / 1024:F2} KiB/s per relay), back {control.FromControllerBytes / 1024.0:F0} KiB ({control.FromControllerPerRelayPerSecond / 1024:F2} KiB/s per relay); {(results.Scenario.Engine == "virtual" ? "the encoded messages" : "bytes on the wire, HTTP included")}.</p>");
        if (control.ByKind is not { Count: > 0 } kinds || control.Timeline is not { } timeline)
        {
            return html.ToString();
        }

        html.Append("<table><tr><th>kind</th><td>to the controller (KiB)</td><td>back (KiB)</td><td>per relay per second (B/s)</td></tr>");
        foreach (var kind in kinds)
        {
            html.Append(Inv, $"<tr><th>{Esc(kind.Kind)}</th><td>{kind.ToControllerBytes / 1024.0:F1}</td><td>{kind.FromControllerBytes / 1024.0:F1}</td><td>{kind.PerRelayPerSecond:F1}</td></tr>");
        }

        html.Append("</table>");
        var seconds = Math.Max(1, (int)Math.Ceiling(results.Scenario.DurationSeconds));
        var relays = Math.Max(1, results.World.Rooms);
        var before = timeline.Where(s => s.Second < 0).Sum(s => s.Bytes.Values.Sum());
        var during = timeline.Where(s => s.Second >= 0 && s.Second < seconds).ToList();
        var perRelay = during.SelectMany(s => s.Bytes.Values).Select(b => (double)b / relays).Order().ToList();

        // The scale ignores the top 1 % of seconds: full reports at a start or after a heal would flatten the rest.
        var top = Math.Max(1, perRelay.Count == 0 ? 1 : perRelay[Math.Max(0, (int)(perRelay.Count * 0.99) - 1)]);
        double X(double t) => 40 + (t / seconds * (Width - 60));
        double Y(double bytes) => Height - (Math.Min(bytes, top) / top * (Height - 20));
        html.Append(Inv, $"<svg width=\"{Width}\" height=\"{Height + 34}\" viewBox=\"0 0 {Width} {Height + 34}\">");
        foreach (var fault in results.Faults)
        {
            html.Append(Inv, $"<line x1=\"{X(fault.At):F1}\" y1=\"0\" x2=\"{X(fault.At):F1}\" y2=\"{Height}\" stroke=\"#c53030\" stroke-dasharray=\"4 3\"><title>{Esc(fault.Kind)} {Esc(fault.Target)}</title></line>");
        }

        var legend = 40;
        foreach (var kind in kinds.Select(k => k.Kind))
        {
            var colour = KindColours.GetValueOrDefault(kind, "#b83280");
            var bySecond = during.ToDictionary(s => s.Second, s => (double)s.Bytes.GetValueOrDefault(kind) / relays);
            html.Append(Inv, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"");
            for (var s = 0; s < seconds; s++)
            {
                html.Append(Inv, $"{X(s + 0.5):F1},{Y(bySecond.GetValueOrDefault(s)):F1} ");
            }

            html.Append(Inv, $"\"/><text x=\"{legend}\" y=\"{Height + 28}\" font-size=\"11\" fill=\"{colour}\">{Esc(kind)}</text>");
            legend += 90;
        }

        html.Append(Inv, $"<text x=\"{legend + 20}\" y=\"{Height + 28}\" font-size=\"11\">bytes per relay per second, top of scale {top:F0} B/s; before the flows started {before / 1024.0:F0} KiB</text><text x=\"{Width - 70}\" y=\"{Height + 14}\" font-size=\"11\">time (s)</text></svg>");
        return html.ToString();
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
