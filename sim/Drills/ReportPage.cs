using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Msdn.Sim.Drills;

/// <summary>
/// report.html: one self-contained page (inline SVG, no scripts or downloads): the headline numbers, the
/// fault timeline (each fault's start, and its lift where it has one) over each flow's delivery rate and
/// latency on a time axis, control traffic by kind over time, the failover-time distribution, each flow's longest stalls, and a map of the
/// rooms (north up for a measured world) with the links each flow used and for how long.
/// </summary>
public static class ReportPage
{
    private const int Width = 900;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Colours = ["#2b6cb0", "#c05621", "#2f855a", "#805ad5", "#b83280", "#2c7a7b", "#975a16", "#4a5568"];

    public static string Render(DrillResults results, DrillSummary summary)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(summary);
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>MSDN drill</title><style>")
            .Append("body{font:14px system-ui,sans-serif;margin:24px;color:#1a202c}h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
            .Append("table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #e2e8f0;text-align:right}th{text-align:left}")
            .Append(".ok{color:#2f855a}.bad{color:#c53030}svg{background:#f7fafc;border:1px solid #e2e8f0}</style></head><body>");
        var clean = summary.BytesLost == 0 && summary.BytesDuplicated == 0 && summary.BytesReordered == 0;
        html.Append(CultureInfo.InvariantCulture, $"<h1>Drill: {summary.Rooms} rooms, {summary.Flows} flows, {summary.VirtualSeconds:F0} s ({summary.Engine})</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"{(clean ? "ok" : "bad")}\"><b>{summary.BytesDelivered:N0} of {summary.BytesSent:N0} bytes delivered; lost {summary.BytesLost:N0}, duplicated {summary.BytesDuplicated:N0}, reordered {summary.BytesReordered:N0}.</b></p>");
        html.Append(CultureInfo.InvariantCulture, $"<p>Failover (delivery stall after a fault): p50 {summary.FailoverMs.P50:F0} ms, p99 {summary.FailoverMs.P99:F0} ms, max {summary.FailoverMs.Max:F0} ms over {summary.FailoverMs.Count}{(summary.FailoverMs.AtPatience > 0 ? $" ({summary.FailoverMs.AtPatience} at the 10 s patience: not resumed by then, their whole stalls are below)" : string.Empty)}. Path stretch vs the optimum on true RTTs: p50 {summary.PathStretch.P50:F2}, p95 {summary.PathStretch.P95:F2}. Route table changes {summary.RouteChanges}; control traffic {summary.ControlBytes / 1024.0:F0} KiB; wall {summary.WallSeconds:F0} s.</p>");

        html.Append("<h2>Faults</h2><table><tr><th>at (s)</th><th>fault</th><th>target</th><th>flows hit</th><th>stall p50 / max (ms)</th><th>route changes until the next</th></tr>");
        foreach (var fault in summary.Faults)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{fault.At:F1}</td><th>{Esc(fault.Kind)}</th><th>{Esc(fault.Target)}</th><td>{string.Join(", ", fault.AffectedFlows)}</td><td>{(fault.FailoverMs.Count == 0 ? "–" : $"{fault.FailoverMs.P50:F0} / {fault.FailoverMs.Max:F0}")}</td><td>{fault.RouteChanges}</td></tr>");
        }

        // Every flow of a small drill; of a large one, the flows some fault hit.
        var hit = results.Faults.SelectMany(f => f.AffectedFlows).ToHashSet();
        var charted = results.Flows.Count <= 8 ? results.Flows : [.. results.Flows.Where(f => hit.Contains(f.Index))];
        html.Append(CultureInfo.InvariantCulture, $"</table><h2>Delivery rate and latency of {(charted.Count == results.Flows.Count ? "each flow" : $"the {charted.Count} flows the faults hit")} across the faults</h2>");
        foreach (var flow in charted)
        {
            html.Append(FlowChart(results, flow));
        }

        if (summary.Control is { } control)
        {
            html.Append("<h2>Control traffic over time</h2>").Append(ControlChart.Render(results, control));
        }

        html.Append("<h2>Failover times</h2>").Append(Histogram(summary.FailoverMs.Samples));
        html.Append("<h2>Stalls of 1 s or more (whole, not capped at the 10 s patience)</h2>").Append(Stalls(summary));
        html.Append("<h2>Rooms and the links the flows used</h2><p>Each flow in its colour; the wider a link, the longer it carried the flow (hover for how long). Dots are rooms, coloured by region.</p>").Append(Map(results));
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string FlowChart(DrillResults results, DrillFlow flow)
    {
        const int height = 140;
        var seconds = results.Scenario.DurationSeconds;
        var bins = (int)Math.Ceiling(seconds * 10);
        var bytes = new double[bins];
        var latency = new double[bins];
        var counts = new int[bins];
        foreach (var (ticks, ms) in flow.Arrivals)
        {
            var bin = (int)((ticks - results.StartTicks) * 10.0 / Stopwatch.Frequency);
            if (bin >= 0 && bin < bins)
            {
                bytes[bin] += DrillFlow.RecordBytes;
                latency[bin] += ms;
                counts[bin]++;
            }
        }

        // The rate's scale ignores the top 1 % of bins: the burst of replayed data after a heal would flatten the rest.
        var sortedRates = bytes.Where(b => b > 0).Order().ToList();
        var peakRate = Math.Max(1, sortedRates.Count == 0 ? 1 : sortedRates[Math.Max(0, (int)(sortedRates.Count * 0.99) - 1)]);
        var peakLatency = Math.Max(1, Enumerable.Range(0, bins).Where(b => counts[b] > 0).Select(b => latency[b] / counts[b]).DefaultIfEmpty(1).Max());
        double X(double t) => 40 + (t / seconds * (Width - 60));
        var svg = new StringBuilder();
        svg.Append(Inv, $"<p>flow {flow.Index}: {flow.From} → {flow.To}{(flow.Failure is null ? string.Empty : $" <span class=\"bad\">({Esc(flow.Failure)})</span>")}</p>");
        svg.Append(Inv, $"<svg width=\"{Width}\" height=\"{height + 34}\" viewBox=\"0 0 {Width} {height + 34}\">");
        for (var t = 0; t <= seconds; t += Tick(seconds))
        {
            svg.Append(Inv, $"<line x1=\"{X(t):F1}\" y1=\"{height}\" x2=\"{X(t):F1}\" y2=\"{height + 4}\" stroke=\"#718096\"/><text x=\"{X(t) - 6:F1}\" y=\"{height + 14}\" font-size=\"9\" fill=\"#718096\">{t}</text>");
        }

        var lifts = results.Scenario.Faults.OrderBy(f => f.At).Select(f => f.ForSeconds is { } held ? f.At + held : (double?)null).ToList();
        for (var f = 0; f < results.Faults.Count; f++)
        {
            var fault = results.Faults[f];
            var labelY = 12 + (f % 3 * 12); // staggered: close faults' labels do not overprint
            svg.Append(Inv, $"<line x1=\"{X(fault.At):F1}\" y1=\"0\" x2=\"{X(fault.At):F1}\" y2=\"{height}\" stroke=\"#c53030\" stroke-dasharray=\"4 3\"/><text x=\"{X(fault.At) + 3:F1}\" y=\"{labelY}\" font-size=\"11\" fill=\"#c53030\">{Esc(fault.Kind)} {Esc(fault.Target)}</text>");
            if (f < lifts.Count && lifts[f] is { } lift && lift < seconds)
            {
                svg.Append(Inv, $"<line x1=\"{X(lift):F1}\" y1=\"0\" x2=\"{X(lift):F1}\" y2=\"{height}\" stroke=\"#2f855a\" stroke-dasharray=\"4 3\"/><text x=\"{X(lift) + 3:F1}\" y=\"{labelY}\" font-size=\"11\" fill=\"#2f855a\">lifted</text>");
            }
        }

        svg.Append("<polyline fill=\"none\" stroke=\"#2b6cb0\" stroke-width=\"1.5\" points=\"");
        for (var b = 0; b < bins; b++)
        {
            svg.Append(Inv, $"{X(b / 10.0):F1},{height - (Math.Min(bytes[b], peakRate) / peakRate * (height - 20)):F1} ");
        }

        svg.Append("\"/><polyline fill=\"none\" stroke=\"#dd6b20\" stroke-width=\"1\" points=\"");
        for (var b = 0; b < bins; b++)
        {
            if (counts[b] > 0)
            {
                svg.Append(Inv, $"{X(b / 10.0):F1},{height - (latency[b] / counts[b] / peakLatency * (height - 20)):F1} ");
            }
        }

        svg.Append(Inv, $"\"/><text x=\"40\" y=\"{height + 28}\" font-size=\"11\" fill=\"#2b6cb0\">delivery, top of scale {peakRate * 10 / 1024:F0} KiB/s (bursts above it clipped)</text>");
        svg.Append(Inv, $"<text x=\"380\" y=\"{height + 28}\" font-size=\"11\" fill=\"#dd6b20\">one-way latency, peak {peakLatency:F0} ms</text><text x=\"{Width - 70}\" y=\"{height + 28}\" font-size=\"11\">time (s)</text></svg>");
        return svg.ToString();
    }

    private static string Histogram(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            return "<p>No fault hit a flow.</p>";
        }

        const int height = 120;
        var top = Math.Max(50, samples.Max());
        var buckets = new int[20];
        foreach (var sample in samples)
        {
            buckets[Math.Min(19, (int)(sample / top * 20))]++;
        }

        var svg = new StringBuilder().Append(Inv, $"<svg width=\"{Width}\" height=\"{height + 20}\">");
        var highest = Math.Max(1, buckets.Max());
        for (var i = 0; i < buckets.Length; i++)
        {
            var h = buckets[i] * (height - 10.0) / highest;
            svg.Append(Inv, $"<rect x=\"{40 + (i * 40)}\" y=\"{height - h:F1}\" width=\"34\" height=\"{h:F1}\" fill=\"#2b6cb0\"><title>{buckets[i]} between {i * top / 20:F0} and {(i + 1) * top / 20:F0} ms</title></rect>");
        }

        svg.Append(Inv, $"<text x=\"40\" y=\"{height + 15}\" font-size=\"11\">0 ms</text><text x=\"{Width - 80}\" y=\"{height + 15}\" font-size=\"11\">{top:F0} ms</text></svg>");
        return svg.ToString();
    }

    private static string Map(DrillResults results)
    {
        const int size = 420;
        var places = results.World.Places;
        double minX = places.Min(p => p.X), maxX = places.Max(p => p.X), minY = places.Min(p => p.Y), maxY = places.Max(p => p.Y);
        double Px(double x) => 30 + ((x - minX) / Math.Max(1, maxX - minX) * (size - 110)); // room for the labels on the right
        double Py(double y) => 30 + ((maxY - y) / Math.Max(1, maxY - minY) * (size - 60)); // y grows north, SVG's grows down
        var labelled = places.Count <= 40; // past that, names are in each dot's tooltip (a thousand labels are a smear)
        var svg = new StringBuilder().Append(Inv, $"<svg width=\"{size}\" height=\"{size}\">");
        var duration = Math.Max(1, results.Scenario.DurationSeconds);
        foreach (var flow in results.Flows)
        {
            var colour = Colours[flow.Index % Colours.Length];
            foreach (var (link, seconds) in SecondsOnLinks(flow))
            {
                var a = places[Index(link.From)];
                var b = places[Index(link.To)];
                var share = Math.Min(1, seconds / duration);
                svg.Append(Inv, $"<line x1=\"{Px(a.X):F1}\" y1=\"{Py(a.Y):F1}\" x2=\"{Px(b.X):F1}\" y2=\"{Py(b.Y):F1}\" stroke=\"{colour}\" stroke-width=\"{1 + (5 * share):F1}\" opacity=\"{0.35 + (0.5 * share):F2}\"><title>flow {flow.Index}: {Esc(link.From)} &gt; {Esc(link.To)} for {seconds:F1} s of {duration:F0}</title></line>");
            }
        }

        for (var i = 0; i < places.Count; i++)
        {
            svg.Append(Inv, $"<circle cx=\"{Px(places[i].X):F1}\" cy=\"{Py(places[i].Y):F1}\" r=\"{(labelled ? 7 : 2.5)}\" fill=\"{Colours[places[i].Region % Colours.Length]}\"><title>{ScenarioLoader.RoomName(i)}</title></circle>");
            if (labelled)
            {
                svg.Append(Inv, $"<text x=\"{Px(places[i].X) + 9:F1}\" y=\"{Py(places[i].Y) + 4:F1}\" font-size=\"12\">{ScenarioLoader.RoomName(i)}</text>");
            }
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>How long each link carried the flow, over every path it ran on.</summary>
    private static Dictionary<(string From, string To), double> SecondsOnLinks(DrillFlow flow)
    {
        var seconds = new Dictionary<(string, string), double>();
        foreach (var use in flow.PathsUsed)
        {
            for (var i = 0; i < use.Path.Count - 1; i++)
            {
                seconds[(use.Path[i], use.Path[i + 1])] = seconds.GetValueOrDefault((use.Path[i], use.Path[i + 1])) + (use.To - use.From);
            }
        }

        return seconds;
    }

    /// <summary>Seconds between time-axis ticks: about ten ticks whatever the drill's length.</summary>
    private static int Tick(double seconds) => seconds <= 30 ? 5 : seconds <= 120 ? 10 : seconds <= 600 ? 60 : 120;

    private static string Stalls(DrillSummary summary)
    {
        var longest = summary.FlowDetails.SelectMany(f => f.Stalls.Where(s => s.Ms >= 1000).Select(s => (f, s))).OrderByDescending(x => x.s.Ms).Take(20).ToList();
        if (longest.Count == 0)
        {
            return "<p>No flow stalled for a second or more.</p>";
        }

        var table = new StringBuilder("<table><tr><th>flow</th><th>from → to</th><td>start (s)</td><td>end (s)</td><td>stall (ms)</td><th>after</th><th>a path remained?</th></tr>");
        foreach (var (flow, stall) in longest)
        {
            table.Append(Inv, $"<tr><td>{flow.Flow}</td><th>{Esc(flow.From)} → {Esc(flow.To)}</th><td>{stall.Start:F2}</td><td>{stall.End:F2}</td><td>{stall.Ms:F0}</td><th>{Esc(stall.After ?? "–")}</th><th>{(stall.Avoidable switch { true => "yes: a route could have saved it", false => "no: cut off", null => "–" })}</th></tr>");
        }

        return table.Append("</table>").ToString();
    }

    private static int Index(string room) => int.Parse(room.AsSpan(5), Inv);

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
