using System.Net;
using Msdn.Client.Framing;

namespace Msdn.Client;

/// <summary>
/// A flow's connection to one relay: the frames, and what the relay says back (end-to-end acks, then its last word).
/// <see cref="Answer"/> is that last word, or null when the connection ended without one (the relay died, or the
/// network between): the flow then resumes elsewhere.
/// </summary>
internal sealed class RelayConnection(EndPoint relay, FrameStream frames) : IAsyncDisposable
{
    private readonly TaskCompletionSource<CloseFlow?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private Task _listening = Task.CompletedTask;
    private int _disposed;

    public EndPoint Relay { get; } = relay;

    public FrameStream Frames { get; } = frames;

    public Task<CloseFlow?> Answer => _answer.Task;

    /// <summary>Passes the relay's acks to <paramref name="flow"/>, and tells it when the connection is lost.</summary>
    public void Listen(ClientFlow flow) => _listening = Task.Run(() => ListenAsync(flow), CancellationToken.None);

    /// <summary>The relay's last word, if it comes within a second (it says why just before it closes a flow's connection).</summary>
    public async Task<CloseFlow?> AnsweredSoonAsync()
    {
        try
        {
            return await Answer.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _listening.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or FrameFormatException)
        {
        }

        await Frames.DisposeAsync().ConfigureAwait(false);
        _answer.TrySetResult(null);
        _closing.Dispose();
    }

    private async Task ListenAsync(ClientFlow flow)
    {
        try
        {
            while (await Frames.ReadAsync(_closing.Token).ConfigureAwait(false) is { } read)
            {
                switch (read.Frame)
                {
                    case { Kind: FrameKind.Ack } ack when ack.FlowId == flow.Id:
                        flow.Acknowledged(ack.Sequence);
                        break;
                    case { Control: CloseFlow last }:
                        _answer.TrySetResult(last);
                        return;
                    default:
                        throw new FrameFormatException($"The relay sent a {read.Frame.Kind} frame on flow {flow.Id}'s connection.");
                }
            }
        }
        catch (Exception e) when (e is IOException or FrameFormatException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Lost, as below.
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return; // let go on purpose
        }

        if (_answer.TrySetResult(null))
        {
            flow.Lost(this);
        }
    }
}
