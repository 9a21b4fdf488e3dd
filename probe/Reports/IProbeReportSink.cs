namespace Msdn.Probe.Reports;

/// <summary>Where reports go (the controller client in a relay; a collector in tests and the simulator).</summary>
public interface IProbeReportSink
{
    ValueTask ReportAsync(ProbeReport report, CancellationToken cancellationToken);
}
