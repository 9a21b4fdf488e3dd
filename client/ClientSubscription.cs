using Msdn.Client.Framing;
using Msdn.Graph.Topology;

namespace Msdn.Client;

/// <summary>
/// The flows arriving for one endpoint, each with its ordered data. A flow the application leaves unread holds
/// at most <see cref="MaxUnreadBytesPerFlow"/> here: past it the subscription stops reading from the relay (every
/// flow on it waits) until the application has read half of it, and the relay holds the sender back in turn.
/// </summary>
public sealed class ClientSubscription : IAsyncDisposable
{
    /// <summary>What one flow may hold unread in the application's process before the subscription stops reading.</summary>
    public const long MaxUnreadBytesPerFlow = 4 * 1024 * 1024;

    private readonly FrameStream _frames;
    private readonly System.Threading.Channels.Channel<IncomingFlow> _arrivals = System.Threading.Channels.Channel.CreateUnbounded<IncomingFlow>();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reading;
    private RelayClientException? _ended;

    internal ClientSubscription(FrameStream frames)
    {
        _frames = frames;
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>
    /// The next flow to arrive (its data completes when its sender closed it). Throws <see cref="RelayClientException"/>
    /// when the relay ended the subscription (its reason says why: an expired token, a relay stopping).
    /// </summary>
    public async ValueTask<IncomingFlow> AcceptFlowAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _arrivals.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException e) when (e.InnerException is RelayClientException ended)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ended);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The read loop stops first: the frames' reader must not be completed under a read in progress.
        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _reading.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or FrameFormatException)
        {
        }

        await _frames.DisposeAsync().ConfigureAwait(false);

        _closing.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var flows = new Dictionary<ulong, IncomingFlow>();
        var buffered = new Dictionary<ulong, UnreadBytes>();
        try
        {
            while (await _frames.ReadAsync(_closing.Token).ConfigureAwait(false) is { } read)
            {
                switch (read.Frame.Kind)
                {
                    case FrameKind.Open when read.Frame.Control is OpenFlow open:
                        var unread = new UnreadBytes();
                        var flow = new IncomingFlow(new RoomId(open.Source), open.FlowId, open.Endpoint, unread.Taken);
                        flows[open.FlowId] = flow;
                        buffered[open.FlowId] = unread;
                        _arrivals.Writer.TryWrite(flow);
                        break;
                    case FrameKind.Data or FrameKind.DataAckNow when flows.TryGetValue(read.Frame.FlowId, out var target):
                        target.Writer.TryWrite(read.Payload);
                        if (buffered[read.Frame.FlowId].Added(read.Payload.Length) is { } room)
                        {
                            await room.WaitAsync(_closing.Token).ConfigureAwait(false); // the application is behind on this flow
                        }

                        break;
                    case FrameKind.Close when read.Frame.Control is CloseFlow { CutOff: true } && flows.Remove(read.Frame.FlowId, out var cut):
                        cut.Writer.TryComplete(new FlowCutOffException($"Flow {cut.Id} from {cut.Source} was cut off: its sender never closed it."));
                        buffered.Remove(read.Frame.FlowId);
                        break;
                    case FrameKind.Close when flows.Remove(read.Frame.FlowId, out var ended):
                        ended.Writer.TryComplete();
                        buffered.Remove(read.Frame.FlowId);
                        break;
                    case FrameKind.Close when read.Frame.FlowId == 0 && read.Frame.Control is CloseFlow ending:
                        // The relay ends the subscription (its token expired, the relay stops) and says why.
                        _ended = new RelayClientException(ending.Reason);
                        return;
                    default:
                        throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame for flow {read.Frame.FlowId} on a subscription.");
                }
            }
        }
        finally
        {
            // Flows cut off by the end of the subscription are incomplete: say so rather than end them cleanly.
            foreach (var open in flows.Values)
            {
                open.Writer.TryComplete(new IOException($"The subscription ended before flow {open.Id} was closed{(_ended is null ? string.Empty : $": {_ended.Reason}")}."));
            }

            _arrivals.Writer.TryComplete(_ended);
        }
    }

    /// <summary>One flow's bytes handed to the application and not yet taken by it.</summary>
    private sealed class UnreadBytes
    {
        private readonly Lock _lock = new();
        private long _unread;
        private TaskCompletionSource? _room;

        /// <summary>Counts bytes handed over; a task to wait on when the flow now holds too much.</summary>
        public Task? Added(int bytes)
        {
            lock (_lock)
            {
                _unread += bytes;
                if (_unread <= MaxUnreadBytesPerFlow)
                {
                    return null;
                }

                _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _room.Task;
            }
        }

        /// <summary>The application took a chunk: once half is read back, the subscription reads on.</summary>
        public void Taken(int bytes)
        {
            lock (_lock)
            {
                _unread -= bytes;
                if (_unread <= MaxUnreadBytesPerFlow / 2)
                {
                    _room?.TrySetResult();
                    _room = null;
                }
            }
        }
    }
}
