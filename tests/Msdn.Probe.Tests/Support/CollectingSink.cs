using System.Collections.Concurrent;
using Msdn.Probe.Reports;

namespace Msdn.Probe.Tests.Support;

/// <summary>Keeps every report, and signals when one satisfies a condition.</summary>
internal sealed class CollectingSink(Func<ProbeReport, bool>? until = null) : IProbeReportSink
{
    public ConcurrentQueue<ProbeReport> Reports { get; } = new();

    public TaskCompletionSource<ProbeReport> Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask ReportAsync(ProbeReport report, CancellationToken cancellationToken)
    {
        Reports.Enqueue(report);
        if (until is not null && until(report))
        {
            Reached.TrySetResult(report);
        }

        return ValueTask.CompletedTask;
    }
}
