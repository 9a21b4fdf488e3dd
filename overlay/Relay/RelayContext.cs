using Microsoft.Extensions.Logging;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Metrics;

namespace Msdn.Overlay.Relay;

/// <summary>
/// What every part of one relay shares: its room, clock, settings, metrics and log, the signal that it is
/// stopping, the links its flows use next, and the deadlines every wait on a peer gets.
/// </summary>
internal sealed class RelayContext(RoomId room, TimeProvider time, RelayNodeOptions options, RelayMetrics metrics, ILogger logger) : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public RoomId Room { get; } = room;

    public TimeProvider Time { get; } = time;

    public RelayNodeOptions Options { get; } = options;

    public RelayMetrics Metrics { get; } = metrics;

    public ILogger Logger { get; } = logger;

    /// <summary>The peer rooms carrying flows from here now, as ingress or transit (the probe agent watches those links closely).</summary>
    public NextHopUsage NextHops { get; } = new();

    /// <summary>This relay's name among its room's relays: the address its peers reach it at (set once it listens, or as advertised).</summary>
    public string NodeName { get; set; } = string.Empty;

    /// <summary>Cancelled when the relay stops.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public bool IsStopping => _stopping.IsCancellationRequested;

    public Task StopAsync() => _stopping.CancelAsync();

    /// <summary>A token that ends when the relay stops or after <paramref name="limit"/>: every wait on a peer gets one.</summary>
    public CancellationTokenSource Within(TimeSpan limit)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(limit);
        return deadline;
    }

    /// <summary>
    /// Writes a last control frame (a refusal, a close naming a lost room) with a deadline: a peer that stopped
    /// reading gets its stream reset instead of holding this relay's task.
    /// </summary>
    public async Task SayLastAsync(FrameStream frames, CloseFlow close)
    {
        using var deadline = Within(Options.CloseTimeout);
        await frames.WriteAsync(Frame.Close(close), deadline.Token).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();
}
