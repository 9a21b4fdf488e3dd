using System.Diagnostics.Metrics;

namespace Msdn.Router.Api;

/// <summary>
/// The controller's own instruments (meter <c>Msdn.Router</c>, scraped at <c>/metrics</c>): requests refused,
/// by request and reason, so an operator sees a wrong credential, a second claim on a room or a forged
/// certificate request without reading logs.
/// </summary>
public sealed class RouterMetrics : IDisposable
{
    public const string MeterName = "Msdn.Router";

    private readonly Meter _meter;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _certificatesIssued;

    public RouterMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _refusals = _meter.CreateCounter<long>("msdn.router.refusals", description: "Relay requests refused, by request (report, certificate, routes, directory) and reason.");
        _certificatesIssued = _meter.CreateCounter<long>("msdn.router.certificates_issued", description: "Relay certificates the cluster CA signed.");
    }

    public void Refused(string request, string reason) =>
        _refusals.Add(1, new KeyValuePair<string, object?>("request", request), new KeyValuePair<string, object?>("reason", reason));

    public void Issued() => _certificatesIssued.Add(1);

    public void Dispose() => _meter.Dispose();
}
