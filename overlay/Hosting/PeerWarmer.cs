using Microsoft.Extensions.Hosting;

namespace Msdn.Overlay.Hosting;

/// <summary>Keeps a connection open to every known peer, configured or from the directory (re-dialling those that went away), every few seconds.</summary>
internal sealed class PeerWarmer(RelayNodeService relay, TimeProvider time) : BackgroundService
{
    /// <summary>How often the connections are checked; also how long one round waits on slow dials.</summary>
    public static readonly TimeSpan Round = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Round, time);
        do
        {
            if (relay.Node is { } node)
            {
                await node.WarmAsync(relay.PeerDirectory.Peers, Round, stoppingToken).ConfigureAwait(false);
            }
        }
        while (await Quietly(timer.WaitForNextTickAsync(stoppingToken)).ConfigureAwait(false));

        static async Task<bool> Quietly(ValueTask<bool> tick)
        {
            try
            {
                return await tick.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
