using System.Diagnostics.Metrics;

namespace Msdn.Router.Api;

/// <summary>
/// The controller's own instruments (meter <c>Msdn.Router</c>, scraped at <c>/metrics</c>): reports received and
/// how long they took, recomputations (published, unchanged, skipped because nothing moved) and how long they took,
/// route answers and their sizes, path lookups, and requests refused by request and reason; with
/// <see cref="ObserveTable"/>, the table this silo serves (version, age) and its rooms by liveness.
/// </summary>
public sealed class RouterMetrics : IDisposable
{
    public const string MeterName = "Msdn.Router";

    private readonly Meter _meter;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _certificatesIssued;
    private readonly Counter<long> _reports;
    private readonly Counter<long> _reportBytes;
    private readonly Histogram<double> _reportDuration;
    private readonly Counter<long> _recomputations;
    private readonly Histogram<double> _recomputeDuration;
    private readonly Histogram<long> _routeAnswerBytes;
    private readonly Counter<long> _pathLookups;
    private readonly Histogram<double> _pathLookupDuration;

    public RouterMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _refusals = _meter.CreateCounter<long>("msdn.router.refusals", description: "Relay requests refused, by request (report, certificate, routes, directory) and reason.");
        _certificatesIssued = _meter.CreateCounter<long>("msdn.router.certificates_issued", description: "Relay certificates the cluster CA signed.");
        _reports = _meter.CreateCounter<long>("msdn.router.reports", "{report}", "Relay reports answered, by format (msgpack, json), kind (full, amendment) and outcome (taken, full-wanted, refused).");
        _reportBytes = _meter.CreateCounter<long>("msdn.router.report.bytes", "By", "Bytes of relay report bodies read, by format.");
        _reportDuration = _meter.CreateHistogram<double>("msdn.router.report.duration", "ms", "From a report's arrival at its endpoint to its answer (body read, validated, taken by the room's grain).");
        _recomputations = _meter.CreateCounter<long>("msdn.router.recomputations", "{recomputation}", "Route recomputations by outcome: published (a new version), unchanged (no route moved), kept (no live room), held (most rooms fell silent together: the controller was cut off), skipped (a tick when no estimate moved past the drift thresholds), busy (one was running).");
        _recomputeDuration = _meter.CreateHistogram<double>("msdn.router.recompute.duration", "ms", "Time to compute, compare and publish a route table (recomputations that ran).");
        _routeAnswerBytes = _meter.CreateHistogram<long>("msdn.router.routes.answer.bytes", "By", "Route answers to relays by kind (full, diff; restricted to what the relay reads, or whole): the encoded body's size.");
        _pathLookups = _meter.CreateCounter<long>("msdn.router.path_lookups", "{lookup}", "Path lookups by outcome: found, no-path, refused (token, bad room), limited (rate).");
        _pathLookupDuration = _meter.CreateHistogram<double>("msdn.router.path_lookup.duration", "ms", "Path lookups answered from this silo's table.");
        _recomputations.Add(0, new KeyValuePair<string, object?>("outcome", "published"));
    }

    public void Refused(string request, string reason) =>
        _refusals.Add(1, new KeyValuePair<string, object?>("request", request), new KeyValuePair<string, object?>("reason", reason));

    public void Issued() => _certificatesIssued.Add(1);

    public void Report(string format, bool amendment, string outcome, long bytes, TimeSpan took)
    {
        _reports.Add(1, new("format", format), new("kind", amendment ? "amendment" : "full"), new("outcome", outcome));
        _reportBytes.Add(bytes, new KeyValuePair<string, object?>("format", format));
        _reportDuration.Record(took.TotalMilliseconds);
    }

    /// <summary>A recomputation ran (or did not, <paramref name="took"/> null) with this outcome.</summary>
    public void Recomputed(string outcome, TimeSpan? took)
    {
        _recomputations.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (took is { } duration)
        {
            _recomputeDuration.Record(duration.TotalMilliseconds);
        }
    }

    public void RoutesAnswered(string kind, bool restricted, long bytes) =>
        _routeAnswerBytes.Record(bytes, new("kind", kind), new("scope", restricted ? "restricted" : "whole"));

    public void PathLookup(string outcome, TimeSpan took)
    {
        _pathLookups.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _pathLookupDuration.Record(took.TotalMilliseconds);
    }

    /// <summary>Publishes the table this silo serves (version, seconds since it arrived here) and its rooms by liveness.</summary>
    public void ObserveTable(RouteTableCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _meter.CreateObservableGauge("msdn.router.table.version", () => cache.Current.Table.Version, description: "The route table version this silo serves.");
        _meter.CreateObservableGauge("msdn.router.table.age", () => cache.Age.TotalSeconds, "s", "Seconds since this silo first served its current table version (a controller that stopped publishing shows here).");
        _meter.CreateObservableGauge("msdn.router.rooms", () => Enum.GetValues<Rooms.RoomLiveness>().Select(l => new Measurement<int>(cache.Current.Rooms.Values.Count(r => r.Liveness == l), new KeyValuePair<string, object?>("liveness", l.ToString().ToLowerInvariant()))), "{room}", "Rooms by liveness: fresh, stale (late, still counted), unreachable (its links left the graph).");
    }

    public void Dispose() => _meter.Dispose();
}
