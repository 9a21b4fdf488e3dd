using System.Net;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;

namespace Msdn.Client;

/// <summary>
/// The flows arriving for one endpoint, each with its ordered data. The subscription holds a connection to every relay
/// of its room it was given: a flow arrives at one of them, and when that relay dies its flows go on through a sibling
/// (their ingress takes them there from its last acknowledgement); the subscription passes over what it already has,
/// so each flow's bytes arrive once and in order. A flow whose relay died and that no relay takes on within
/// <see cref="ResumePatience"/> ends with an <see cref="IOException"/>; so does one that would skip chunks (typed,
/// never silent). A relay whose connection breaks (it died, restarted, or was not there when the subscription began) is
/// dialled again, backing off to every <see cref="MaxRedialDelay"/>: a relay restarted at its address takes the
/// subscription back, and with it the flows it resumes. A relay that ends the subscription itself (its token expired)
/// is not dialled again; with no relay connected for <see cref="ReconnectPatience"/>, the subscription ends, saying why. A flow the application leaves unread holds at most <see cref="MaxUnreadBytesPerFlow"/> here: past it
/// the subscription stops reading from that relay (every flow on it waits) until the application has read half of it,
/// and the relay holds the sender back in turn.
/// </summary>
public sealed class ClientSubscription : IAsyncDisposable
{
    /// <summary>What one flow may hold unread in the application's process before the subscription stops reading.</summary>
    public const long MaxUnreadBytesPerFlow = 4 * 1024 * 1024;

    /// <summary>How long a flow whose relay died waits for a sibling of it, or the relay back, to take it on.</summary>
    public static readonly TimeSpan ResumePatience = TimeSpan.FromSeconds(10);

    /// <summary>How long a subscription with no relay connected goes on dialling them before it ends.</summary>
    public static readonly TimeSpan ReconnectPatience = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two dials of a relay whose connection broke (they start at 100 ms and double).</summary>
    public static readonly TimeSpan MaxRedialDelay = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan FirstRedialDelay = TimeSpan.FromMilliseconds(100);

    private readonly System.Threading.Channels.Channel<IncomingFlow> _arrivals = System.Threading.Channels.Channel.CreateUnbounded<IncomingFlow>();
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Source, ulong Id), Arrival> _flows = [];
    private readonly List<Task> _keepers = [];
    private readonly ClientHello _hello;
    private readonly TimeSpan _reconnectPatience;
    private readonly TimeProvider _time;

    /// <summary>Relays connected now.</summary>
    private int _live;

    /// <summary>Relays still kept (connected, or dialled again): all but those that ended the subscription themselves.</summary>
    private int _kept;

    /// <summary>Counts connections made: a wait for one to come back ends when it changes.</summary>
    private int _connectionsMade;
    private RelayClientException? _ended;
    private string? _lastDialError;

    /// <param name="relays">The room's relays, each with its connection when it took the subscription (null: dialled again later).</param>
    internal ClientSubscription(ClientHello hello, IReadOnlyList<(EndPoint Relay, FrameStream? Frames)> relays, TimeSpan? reconnectPatience = null, TimeProvider? time = null)
    {
        _hello = hello;
        _time = time ?? TimeProvider.System;
        _reconnectPatience = reconnectPatience ?? ReconnectPatience;
        _live = relays.Count(r => r.Frames is not null);
        _kept = relays.Count;
        foreach (var (relay, frames) in relays)
        {
            _keepers.Add(Task.Run(() => KeepAsync(relay, frames)));
        }
    }

    /// <summary>
    /// The next flow to arrive (its data completes when its sender closed it). Throws <see cref="RelayClientException"/>
    /// when the relays ended the subscription (its reason says why: an expired token, a relay stopping).
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
        // Each relay's keeper stops its read loop before it lets its connection go: the frames' reader must not be completed under a read in progress.
        await _closing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_keepers).ConfigureAwait(false);
        _closing.Dispose();
    }

    /// <summary>
    /// Keeps one relay's connection: reads it while it lasts, then dials the relay again (backing off), until the relay
    /// ends the subscription itself or the subscription ends.
    /// </summary>
    private async Task KeepAsync(EndPoint relay, FrameStream? frames)
    {
        var delay = FirstRedialDelay;
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                if (frames is null)
                {
                    try
                    {
                        frames = (await RelayClient.IntroduceAsync(relay, _hello, keepAlive: true, _closing.Token).ConfigureAwait(false)).Frames;
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RelayClientException or FrameFormatException)
                    {
                        Volatile.Write(ref _lastDialError, $"{relay}: {e.Message}");
                        await Task.Delay(delay, _time, _closing.Token).ConfigureAwait(false);
                        delay = delay * 2 < MaxRedialDelay ? delay * 2 : MaxRedialDelay;
                        continue;
                    }

                    delay = FirstRedialDelay;
                    Interlocked.Increment(ref _connectionsMade);
                    Interlocked.Increment(ref _live);
                }

                var endedHere = await ReadLoopAsync(relay, frames).ConfigureAwait(false);
                await frames.DisposeAsync().ConfigureAwait(false);
                frames = null;
                if (endedHere)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        finally
        {
            if (frames is not null)
            {
                await frames.DisposeAsync().ConfigureAwait(false);
            }

            if (Interlocked.Decrement(ref _kept) == 0)
            {
                EndAll(_ended ?? new RelayClientException("The subscription ended: no relay carries it any more."));
            }
        }
    }

    /// <returns>Whether the relay ended the subscription itself (it said why, in <see cref="_ended"/>).</returns>
    private async Task<bool> ReadLoopAsync(EndPoint relay, FrameStream frames)
    {
        var here = new Dictionary<ulong, Arrival?>(); // this relay's flows by id; null: refused, its frames passed over
        try
        {
            while (await frames.ReadAsync(_closing.Token).ConfigureAwait(false) is { } read)
            {
                switch (read.Frame.Kind)
                {
                    case FrameKind.Open when read.Frame.Control is OpenFlow open:
                        here[open.FlowId] = await OpenedAsync(frames, open).ConfigureAwait(false);
                        break;
                    case FrameKind.Data or FrameKind.DataAckNow when here.TryGetValue(read.Frame.FlowId, out var target):
                        if (target is null || !target.Take(read.Frame.Sequence, read.Payload, out var room, out var gap))
                        {
                            ChunkArrays.Recycle(read.Payload); // refused, or had already
                        }
                        else if (gap is not null)
                        {
                            ChunkArrays.Recycle(read.Payload);
                            here[read.Frame.FlowId] = null;
                            await RefuseAsync(frames, read.Frame.FlowId, target, gap).ConfigureAwait(false);
                        }
                        else if (room is not null)
                        {
                            await room.WaitAsync(_closing.Token).ConfigureAwait(false); // the application is behind on this flow
                        }

                        break;
                    case FrameKind.Close when read.Frame.FlowId != 0 && here.Remove(read.Frame.FlowId, out var closing):
                        if (closing is not null)
                        {
                            Ended(closing, read.Frame.Control is CloseFlow { CutOff: true } ? new FlowCutOffException($"Flow {closing.Flow.Id} from {closing.Flow.Source} was cut off: its sender never closed it.") : null);
                        }

                        break;
                    case FrameKind.Close when read.Frame.FlowId == 0 && read.Frame.Control is CloseFlow ending:
                        // The relay ends the subscription (its token expired) and says why: it is not dialled again.
                        _ended = new RelayClientException(ending.Reason);
                        return true;
                    default:
                        throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame for flow {read.Frame.FlowId} on a subscription.");
                }
            }
        }
        catch (Exception e) when (e is IOException or FrameFormatException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // This relay is gone; its flows may go on through another.
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        finally
        {
            Lost(relay, here.Values.OfType<Arrival>());
        }

        return false;
    }

    /// <summary>A flow announced on one relay's connection: new, or one this subscription has that goes on here.</summary>
    private async Task<Arrival?> OpenedAsync(FrameStream frames, OpenFlow open)
    {
        Arrival? arrival;
        string? refusal = null;
        lock (_lock)
        {
            _flows.TryGetValue((open.Source, open.FlowId), out arrival);
        }

        if (arrival is not null)
        {
            // The relay that delivered it until now may still have its last chunks on their way here: they are read first.
            refusal = await arrival.ContinueAsync(open.ResumeFrom, _time, _closing.Token).ConfigureAwait(false);
        }
        else if (open.ResumeFrom > 0)
        {
            refusal = $"the subscriber holds nothing of flow {open.FlowId} from {open.Source} before chunk {open.ResumeFrom}";
        }
        else
        {
            var unread = new UnreadBytes();
            arrival = new Arrival(new IncomingFlow(new RoomId(open.Source), open.FlowId, open.Endpoint, unread.Taken), unread);
            lock (_lock)
            {
                _flows[(open.Source, open.FlowId)] = arrival;
            }

            _arrivals.Writer.TryWrite(arrival.Flow);
        }

        if (refusal is null)
        {
            return arrival;
        }

        await RefuseAsync(frames, open.FlowId, arrival, refusal).ConfigureAwait(false);
        return null;
    }

    /// <summary>Tells the relay this subscription cannot take the flow on (it ends for good, its sender hears why); the application's side of it ends too.</summary>
    private async Task RefuseAsync(FrameStream frames, ulong flowId, Arrival? arrival, string reason)
    {
        if (arrival is not null)
        {
            Ended(arrival, new IOException($"Flow {arrival.Flow.Id} from {arrival.Flow.Source} broke off: {reason}."));
        }

        await frames.WriteAsync(Frame.Close(new CloseFlow(flowId, reason, Final: true)), _closing.Token).ConfigureAwait(false);
    }

    private void Ended(Arrival arrival, Exception? error)
    {
        lock (_lock)
        {
            _flows.Remove((arrival.Flow.Source.Value, arrival.Flow.Id));
        }

        arrival.Flow.Writer.TryComplete(error);
    }

    /// <summary>Every flow still open ends as incomplete, and so does the subscription, with <paramref name="why"/>.</summary>
    private void EndAll(RelayClientException why)
    {
        Arrival[] open;
        lock (_lock)
        {
            open = [.. _flows.Values];
        }

        foreach (var flow in open)
        {
            Ended(flow, new IOException($"The subscription ended before flow {flow.Flow.Id} was closed: {why.Reason}"));
        }

        _arrivals.Writer.TryComplete(why);
    }

    /// <summary>
    /// A relay's connection ended: its flows wait <see cref="ResumePatience"/> for a relay to take them on. When it was
    /// the last connection, the subscription waits <see cref="ReconnectPatience"/> for a relay to take it back, then ends.
    /// </summary>
    private void Lost(EndPoint relay, IEnumerable<Arrival> flows)
    {
        var orphans = flows.ToArray();
        foreach (var orphan in orphans)
        {
            orphan.Orphaned();
        }

        if (Interlocked.Decrement(ref _live) == 0 && !_closing.IsCancellationRequested)
        {
            var made = Volatile.Read(ref _connectionsMade);
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(_reconnectPatience, _time, _closing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (Volatile.Read(ref _live) == 0 && Volatile.Read(ref _connectionsMade) == made)
                {
                    EndAll(_ended ?? new RelayClientException($"No relay took the subscription back within {_reconnectPatience.TotalSeconds:F0} s (last: {Volatile.Read(ref _lastDialError) ?? "no answer"})."));
                    try
                    {
                        await _closing.CancelAsync().ConfigureAwait(false); // the keepers stop dialling
                    }
                    catch (ObjectDisposedException)
                    {
                        // Disposed meanwhile: the keepers stopped anyway.
                    }
                }
            });
        }

        if (orphans.Length > 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(ResumePatience, _time, _closing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                foreach (var orphan in orphans.Where(o => o.StillOrphaned))
                {
                    Ended(orphan, new IOException($"Flow {orphan.Flow.Id} from {orphan.Flow.Source} broke off: the relay at {relay} that delivered it ended, and no other relay of the room took it on within {ResumePatience.TotalSeconds:F0} s."));
                }
            });
        }
    }

    /// <summary>One flow arriving here: its data for the application, the next chunk it expects, whether its relay is gone.</summary>
    private sealed class Arrival(IncomingFlow flow, UnreadBytes unread)
    {
        private readonly Lock _gate = new();
        private ulong _next;
        private bool _orphaned;

        public IncomingFlow Flow { get; } = flow;

        public bool StillOrphaned
        {
            get
            {
                lock (_gate)
                {
                    return _orphaned;
                }
            }
        }

        public void Orphaned()
        {
            lock (_gate)
            {
                _orphaned = true;
                Changed();
            }
        }

        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>
        /// The flow goes on through another relay from chunk <paramref name="from"/>: null if it can, else why not. Chunks
        /// before it may still be on their way from the relay that delivered the flow until now: they are awaited until that
        /// relay's connection has been read to its end (or for a second at most).
        /// </summary>
        public async Task<string?> ContinueAsync(ulong from, TimeProvider time, CancellationToken cancellationToken)
        {
            var deadline = time.GetTimestamp();
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (from <= _next)
                    {
                        _orphaned = false;
                        return null;
                    }

                    if (_orphaned || time.GetElapsedTime(deadline) > TimeSpan.FromSeconds(1))
                    {
                        return $"flow {Flow.Id} from {Flow.Source} resumes at chunk {from}, but the subscriber has only {_next}: chunks in between were lost with the relay that delivered them";
                    }

                    changed = _changed.Task;
                }

                try
                {
                    await changed.WaitAsync(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
            }
        }

        /// <summary>Something the resumption waits on happened (a chunk arrived, the delivering relay's connection was read to its end).</summary>
        private void Changed()
        {
            var done = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            done.TrySetResult();
        }

        /// <summary>
        /// Takes chunk <paramref name="sequence"/>: false for one it has had (resent by a relay taking the flow on); a
        /// <paramref name="gap"/> when chunks are missing; <paramref name="room"/> to wait on when the application is behind.
        /// </summary>
        public bool Take(ulong sequence, ReadOnlyMemory<byte> payload, out Task? room, out string? gap)
        {
            room = null;
            gap = null;
            lock (_gate)
            {
                if (sequence < _next)
                {
                    return false;
                }

                if (sequence > _next)
                {
                    gap = $"chunk {sequence} of flow {Flow.Id} from {Flow.Source} came after chunk {_next - 1}: chunks in between were lost";
                    return true;
                }

                _next++;
                Flow.Writer.TryWrite(payload); // under the lock: two relays' connections never interleave a flow's chunks
                Changed();
            }

            room = unread.Added(payload.Length);
            return true;
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
