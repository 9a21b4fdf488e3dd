using System.Diagnostics;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Asks each flow's ingress relay where the flow runs, every <see cref="Interval"/>, and notes each change on the flow
/// (<see cref="DrillFlow.OnPath"/>): the links the flows really used over time, for the report's map. A relay that
/// cannot say (killed, restarting) leaves the flow's last known path open until one that can says otherwise.
/// </summary>
internal sealed class FlowPathSampler(LoopbackCluster cluster, IReadOnlyList<DrillFlow> flows, Stopwatch clock)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var tick = new PeriodicTimer(Interval);
        try
        {
            do
            {
                foreach (var flow in flows)
                {
                    if (flow.RelayFlowId is { } id && await cluster.FlowPathAsync(flow.From, id).ConfigureAwait(false) is { } path)
                    {
                        flow.OnPath(clock.Elapsed.TotalSeconds, path);
                    }
                }
            }
            while (await tick.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // the drill ended
        }
    }
}
