using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Msdn.Client;
using Msdn.Client.Framing;
using Msdn.Overlay.Relay;
using Msdn.Tokens;

namespace Msdn.Overlay.Client;

/// <summary>
/// Where the room's media engines reach its relay (TCP; meant for the node or the room's private
/// network). Each connection starts with a <see cref="ClientHello"/> carrying a signed token, then
/// either writes one flow or receives the flows of one subscribed endpoint. A bad token, a draining
/// relay or a malformed frame gets a <see cref="CloseFlow"/> saying why, and only that connection ends.
/// </summary>
public sealed partial class ClientPort(RelayNode node, MediaTokens tokens, ILogger<ClientPort> logger, Transport.ConnectionLimiter? limits = null, TimeProvider? time = null) : IAsyncDisposable
{
    /// <summary>Refusals logged per minute at most (strangers cause them at will; the metric counts every one).</summary>
    public const int RefusalsLoggedPerMinute = 20;

    private readonly Logging.LogBudget _refusalLog = new(RefusalsLoggedPerMinute, TimeSpan.FromMinutes(1), time ?? TimeProvider.System);

    /// <summary>A connection that has not introduced itself by then is dropped (it holds a socket for nothing).</summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The connection serving each flow opened here, by flow id.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, Attachment> _attached = new();
    private TcpListener? _listener;
    private int _disposed;

    /// <summary>How long a flow whose engine's connection ended without a Close stays open for the engine to resume it.</summary>
    public TimeSpan ResumeGrace { get; init; } = TimeSpan.FromSeconds(5);
    private Task? _accepting;

    public EndPoint LocalEndPoint => _listener?.LocalEndpoint ?? throw new InvalidOperationException("The client port is not started.");

    /// <summary>The caps on connections held open (in all, per address).</summary>
    public Transport.ConnectionLimiter Limits { get; } = limits ?? new Transport.ConnectionLimiter(4096, 256);

    /// <summary>Whether the port is accepting connections now.</summary>
    public Transport.ListenerHealth Health { get; } = new();

    public Task StartAsync(IPEndPoint listen)
    {
        _listener = new TcpListener(listen);
        _listener.Start();
        _accepting = Task.Run(() => Transport.TcpAcceptLoop.RunAsync(_listener, ServeAsync, _stopping.Token, Health, e => Log.AcceptFailing(logger, node.Room, e.Message)), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task ServeAsync(Socket socket)
    {
        using var slot = Limits.TryTake((socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None);
        if (slot is null)
        {
            socket.Dispose(); // past a cap: closed at once, so descriptors never run out
            return;
        }

        var frames = new FrameStream(new NetworkStream(socket, ownsSocket: true), FrameLimits.Handshake);
        try
        {
            using var introduce = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            introduce.CancelAfter(HelloTimeout);
            var first = await frames.ReadAsync(introduce.Token).ConfigureAwait(false);
            if (first is null)
            {
                Log.ClientGone(logger, node.Room, "closed before saying anything"); // not a malformed request: nothing to refuse
                return;
            }

            if (first.Value.Frame.Control is not ClientHello hello)
            {
                throw new FrameFormatException("A media engine must start with a Hello frame.");
            }

            frames.Limits = FrameLimits.Default; // introduced: data frames may follow

            var claims = tokens.Validate(hello.Token, node.Room.Value);
            if (hello.Operation is ClientOperation.Open or ClientOperation.Resume)
            {
                MediaTokens.DemandOpen(claims, hello.Room, hello.Endpoint);
                await ServeOpenAsync(frames, hello).ConfigureAwait(false);
            }
            else
            {
                if (!claims.AllowsSubscribe(hello.Endpoint))
                {
                    throw new MediaTokenException(MediaTokenError.NotAllowed, $"The token does not allow subscribing to {hello.Endpoint}.");
                }

                await ServeSubscriptionAsync(frames, hello.Endpoint, DateTimeOffset.FromUnixTimeSeconds(claims.ExpiresUnixSeconds)).ConfigureAwait(false);
            }
        }
        catch (MediaTokenException e)
        {
            await RefuseAsync(frames, $"token {e.Error}", e.Message).ConfigureAwait(false);
        }
        catch (RelayDrainingException e)
        {
            await RefuseAsync(frames, "draining", e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Graph.Topology.InvalidRoomIdException or ArgumentException)
        {
            await RefuseAsync(frames, "bad request", e.Message).ConfigureAwait(false); // an unknown room id, a reserved endpoint
        }
        catch (FrameFormatException e)
        {
            node.Metrics.FrameRejected("client");
            await RefuseAsync(frames, "malformed", e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            Log.ClientGone(logger, node.Room, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug must cost one connection, never the relay: say so to the engine and in the log.
            Log.ClientFailed(logger, node.Room, e);
            await RefuseAsync(frames, "internal error", e.Message).ConfigureAwait(false);
        }
        finally
        {
            await frames.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Data frames become the flow's bytes; Close ends it once all is delivered. The engine hears each end-to-end ack
    /// (it keeps what is unacknowledged, to resume the flow at a sibling if this relay dies) and, at the end,
    /// "delivered" or why the flow failed. A connection that ends without a Close leaves the flow open for
    /// <see cref="ResumeGrace"/> (its engine may resume it here or at a sibling); after that, what was accepted is
    /// still delivered, and the flow's end says it was cut off.
    /// </summary>
    private async Task ServeOpenAsync(FrameStream frames, ClientHello hello)
    {
        var destination = new Graph.Topology.RoomId(hello.Room);
        if (!node.HasRoute(destination))
        {
            await RefuseAsync(frames, "unknown room", $"Relay {node.Room} has no route to room {destination}.").ConfigureAwait(false);
            return;
        }

        if (await TakeFlowAsync(frames, hello, destination).ConfigureAwait(false) is not { } flow)
        {
            return;
        }

        var attachment = new Attachment();
        if (_attached.TryGetValue(flow.Id, out var previous))
        {
            // The engine lost its connection to this very relay and resumes here: the old connection lets the flow go first.
            await previous.TakenOver.CancelAsync().ConfigureAwait(false);
            await previous.Released.Task.WaitAsync(HelloTimeout, time ?? TimeProvider.System).ConfigureAwait(false);
        }

        _attached[flow.Id] = attachment;
        using var served = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, attachment.TakenOver.Token);

        // A flow that fails while its engine sends nothing (the egress refused it, no path is left) is answered at once;
        // one the relay lets go (it drains past its timeout, or stops) ends its engine's connection, and the engine resumes it at a sibling.
        _ = flow.Completion.ContinueWith(static (_, state) => CancelQuietly((CancellationTokenSource)state!), served, CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        using var acking = CancellationTokenSource.CreateLinkedTokenSource(served.Token);
        Task? forwardingAcks = null;
        try
        {
            await frames.WriteAsync(Frame.Accepted(new FlowAccepted(flow.Id, tokens.ResumeTicket(node.Room.Value, flow.Id, hello.Room, hello.Endpoint))), served.Token).ConfigureAwait(false);
            forwardingAcks = Task.Run(() => ForwardAcksAsync(frames, flow, acking.Token), CancellationToken.None);
            var closed = false;
            try
            {
                while (!closed && await frames.ReadAsync(served.Token).ConfigureAwait(false) is { } read)
                {
                    closed = read.Frame.Kind == FrameKind.Close;
                    if (!closed && !read.Frame.IsData)
                    {
                        throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame from a media engine writing flow {flow.Id}.");
                    }

                    if (!closed)
                    {
                        await TakeChunkAsync(flow, read, served.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException && !flow.HasFailed)
            {
                // The engine's connection broke: as if it ended without a Close.
            }

            if (closed)
            {
                flow.CompleteWriting();
            }
            else if (await ResumedWithinGraceAsync(attachment).ConfigureAwait(false))
            {
                return; // its engine took the flow on from another connection to this relay
            }
            else
            {
                // What was accepted is delivered even if the engine went away without saying goodbye, as cut off (unless it
                // resumed the flow at a sibling meanwhile: the egress then goes on with the sibling and tells this relay so).
                flow.CutOff();
            }

            await flow.Completion.WaitAsync(served.Token).ConfigureAwait(false);
            await acking.CancelAsync().ConfigureAwait(false);
            await Quietly(forwardingAcks).ConfigureAwait(false);
            await frames.WriteAsync(Frame.Close(new CloseFlow(flow.Id, "delivered")), _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (attachment.TakenOver.IsCancellationRequested)
        {
            // The engine resumed the flow on a new connection to this relay: this one lets it go, and nothing ends.
        }
        catch (Exception e) when (e is IOException or OperationCanceledException && flow.HasFailed && !flow.Abandoned)
        {
            await acking.CancelAsync().ConfigureAwait(false);
            await RefuseAsync(frames, "failed", (flow.Sender.Failure ?? e).Message, flow.Id).ConfigureAwait(false);
        }
        finally
        {
            await acking.CancelAsync().ConfigureAwait(false);
            if (forwardingAcks is not null)
            {
                await Quietly(forwardingAcks).ConfigureAwait(false);
            }

            if (!attachment.TakenOver.IsCancellationRequested && !_stopping.IsCancellationRequested && !flow.Abandoned)
            {
                flow.CutOff(); // broken off by an error (no effect when the flow ended above); a relay that stops leaves its flows to be resumed at a sibling
            }

            _attached.TryRemove(new KeyValuePair<ulong, Attachment>(flow.Id, attachment));
            attachment.Released.TrySetResult();
            attachment.TakenOver.Dispose();
        }
    }

    /// <summary>
    /// The flow a Hello opens, or the one it resumes (at this relay, or from a sibling of the room that carried it);
    /// null once the engine was told why not.
    /// </summary>
    private async Task<RelayFlow?> TakeFlowAsync(FrameStream frames, ClientHello hello, Graph.Topology.RoomId destination)
    {
        if (hello.Operation == ClientOperation.Open)
        {
            return await node.OpenFlowAsync(destination, hello.Endpoint, _stopping.Token).ConfigureAwait(false);
        }

        tokens.DemandResumeTicket(hello.Ticket, node.Room.Value, hello.FlowId, hello.Room, hello.Endpoint);
        if (node.IngressFlow(hello.FlowId) is not { } here)
        {
            Log.FlowResumed(logger, node.Room, hello.FlowId, hello.ResumeFrom);
            return node.ResumeFlow(destination, hello.Endpoint, hello.FlowId, hello.ResumeFrom);
        }

        if (hello.ResumeFrom > here.Sender.ChunksWritten)
        {
            await RefuseAsync(frames, "resume past sent", $"Flow {here.Id} cannot resume from chunk {hello.ResumeFrom}: this relay was given {here.Sender.ChunksWritten}.", here.Id).ConfigureAwait(false);
            return null;
        }

        return here;
    }

    /// <summary>One chunk from the engine, numbered by it: one it re-sent after resuming is passed over, a gap is malformed.</summary>
    private static async Task TakeChunkAsync(RelayFlow flow, (Frame Frame, ReadOnlyMemory<byte> Payload) read, CancellationToken cancellationToken)
    {
        if (read.Payload.Length > flow.Sender.MaxChunkBytes || read.Payload.IsEmpty)
        {
            throw new FrameFormatException($"A media engine's chunk holds 1..{flow.Sender.MaxChunkBytes} bytes, not {read.Payload.Length}.");
        }

        if (read.Frame.Sequence > flow.Sender.ChunksWritten)
        {
            throw new FrameFormatException($"Chunk {read.Frame.Sequence} of flow {flow.Id} skips past {flow.Sender.ChunksWritten}, the next one expected.");
        }

        var taken = false;
        try
        {
            taken = await flow.HandOverChunkAsync(read.Frame.Sequence, read.Payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!taken)
            {
                ChunkArrays.Recycle(read.Payload); // one re-sent after a resumption, or the flow failed: the flow did not keep it
            }
        }
    }

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection was served to its end meanwhile.
        }
    }

    /// <summary>Tells the engine every end-to-end ack, so it can let go of what was delivered (and resume from there).</summary>
    private static async Task ForwardAcksAsync(FrameStream frames, RelayFlow flow, CancellationToken cancellationToken)
    {
        var told = flow.Sender.Acknowledged;
        while (true)
        {
            await flow.Sender.AcknowledgedPastAsync(told, cancellationToken).ConfigureAwait(false);
            told = flow.Sender.Acknowledged;
            await frames.WriteAsync(Frame.Ack(flow.Id, told), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After the engine's connection ended without a Close: whether it resumed the flow here within <see cref="ResumeGrace"/>.</summary>
    private async Task<bool> ResumedWithinGraceAsync(Attachment attachment)
    {
        try
        {
            await Task.Delay(ResumeGrace, time ?? TimeProvider.System, attachment.TakenOver.Token).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException) when (attachment.TakenOver.IsCancellationRequested)
        {
            return true;
        }
    }

    /// <summary>The connection serving a flow now: told to let go when its engine resumes the flow on another.</summary>
    private sealed class Attachment
    {
        public CancellationTokenSource TakenOver { get; } = new();

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Each arriving flow: an Open naming it, its Data in order, a Close. Flows interleave on the connection.
    /// The subscription lasts as long as its token: at <paramref name="expires"/> it ends with a Close saying so
    /// (the engine subscribes again with a fresh token).
    /// </summary>
    private async Task ServeSubscriptionAsync(FrameStream frames, string endpoint, DateTimeOffset expires)
    {
        // The expiry's timer is set before the engine hears it is accepted: the wait is computed from one reading of
        // the clock and the timer counts from another, so nothing that answer sets in motion (an injected clock moved
        // on by a test, say) may come between them and push the expiry late.
        using var expiry = new CancellationTokenSource(Max(expires - tokens.Time.GetUtcNow(), TimeSpan.Zero), tokens.Time);
        await frames.WriteAsync(Frame.Ack(0, 0), _stopping.Token).ConfigureAwait(false); // accepted
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, expiry.Token);
        using var resumable = node.AcceptResumedFlows(endpoint);
        var forwarded = new System.Collections.Concurrent.ConcurrentDictionary<ulong, IncomingFlow>();
        var watching = Task.Run(
            async () =>
            {
                try
                {
                    // A subscriber says nothing more, but that it cannot take on a flow it is given mid-way (it does not hold
                    // the flow's start, or misses chunks): that flow ends for good, and its sender hears why. The end of
                    // its connection ends the subscription.
                    while (await frames.ReadAsync(gone.Token).ConfigureAwait(false) is { } read)
                    {
                        if (read.Frame.Control is not CloseFlow refused || refused.FlowId == 0)
                        {
                            throw new FrameFormatException($"A subscriber sent a {read.Frame.Kind} frame; it may only refuse a flow (Close).");
                        }

                        if (forwarded.TryGetValue(refused.FlowId, out var flow))
                        {
                            node.RefuseDelivery(flow.Source.Value, flow.Id, refused.Reason);
                        }
                    }
                }
                finally
                {
                    await gone.CancelAsync().ConfigureAwait(false);
                }
            },
            CancellationToken.None);
        var arrivals = node.Subscribe(endpoint);
        var forwarding = new List<Task>();
        try
        {
            while (true)
            {
                var incoming = await arrivals.ReadAsync(gone.Token).ConfigureAwait(false);
                forwarded[incoming.Id] = incoming;
                forwarding.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await ForwardIncomingAsync(frames, incoming, gone.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            forwarded.TryRemove(new KeyValuePair<ulong, IncomingFlow>(incoming.Id, incoming));
                        }
                    },
                    CancellationToken.None));
                forwarding.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            await Task.WhenAll(forwarding.Select(Quietly)).ConfigureAwait(false);
            forwarding.Clear();
            await RefuseAsync(frames, "token Expired", $"The subscription's token expired at {expires:u}; subscribe again with a new one.").ConfigureAwait(false);
        }
        finally
        {
            await Task.WhenAll(forwarding.Select(Quietly)).ConfigureAwait(false);
            await Quietly(watching).ConfigureAwait(false);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private async Task ForwardIncomingAsync(FrameStream frames, IncomingFlow incoming, CancellationToken cancellationToken)
    {
        // A chunk is taken only once it is written to the engine's connection: the relay acknowledges to the ingress what
        // the engine was given, so a chunk this relay dies holding is resent through a sibling, not lost; and so is the end.
        // Said first, before anything goes to the engine: until then the relay acknowledges what arrived.
        node.ConfirmDelivery(incoming);
        try
        {
            // A flow taken on here mid-way (the relay that delivered its start died) opens at the chunk it resumes from.
            await frames.WriteAsync(Frame.Open(new OpenFlow(incoming.Id, incoming.Source.Value, node.Room.Value, incoming.Endpoint, [], incoming.FirstChunk)), cancellationToken).ConfigureAwait(false);
            await ForwardChunksAndEndAsync(frames, incoming, incoming.FirstChunk, new CloseFlow(incoming.Id, "end"), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            node.HandedOver(incoming); // or the engine's connection broke: nothing more can reach it from here
        }
    }

    private static async Task ForwardChunksAndEndAsync(FrameStream frames, IncomingFlow incoming, ulong sequence, CloseFlow end, CancellationToken cancellationToken)
    {
        var data = incoming.Data;
        try
        {
            while (await data.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (data.TryPeek(out var chunk))
                {
                    await frames.WriteAsync(Frame.Data(incoming.Id, sequence++, new System.Buffers.ReadOnlySequence<byte>(chunk)), cancellationToken).ConfigureAwait(false);
                    data.TryRead(out _);
                    ChunkArrays.Recycle(chunk); // written out: the engine has its copy
                }
            }

            await data.Completion.ConfigureAwait(false); // a flow cut off ends with FlowCutOffException
        }
        catch (FlowCutOffException e)
        {
            end = new CloseFlow(incoming.Id, e.Message, CutOff: true);
        }

        await frames.WriteAsync(Frame.Close(end), cancellationToken).ConfigureAwait(false);
    }

    private async Task RefuseAsync(FrameStream frames, string reason, string message, ulong flow = 0)
    {
        node.Metrics.ClientRefused(reason);
        if (_refusalLog.TryTake(out var leftOut))
        {
            Log.ClientRefused(logger, node.Room, reason, message, leftOut);
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(TimeSpan.FromSeconds(2)); // an engine that does not read its refusal does not hold the port
            await frames.WriteAsync(Frame.Close(new CloseFlow(flow, $"{reason}: {message}")), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The engine is gone already; the refusal is logged and counted.
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException or FrameFormatException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4204, Level = LogLevel.Error, Message = "Relay {Room}: the client port cannot accept connections ({Reason}); it keeps trying, and /health says so until it can")]
        public static partial void AcceptFailing(ILogger logger, Msdn.Graph.Topology.RoomId room, string reason);

        [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "Relay {Room}: serving a media engine failed")]
        public static partial void ClientFailed(ILogger logger, Graph.Topology.RoomId room, Exception error);

        [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Relay {Room} refused a media engine ({Reason}): {Detail} ({LeftOut} refusals before this one were not logged; msdn.relay.clients.refused counts them all)")]
        public static partial void ClientRefused(ILogger logger, Graph.Topology.RoomId room, string reason, string detail, long leftOut);

        [LoggerMessage(EventId = 4205, Level = LogLevel.Information, Message = "Relay {Room}: a media engine resumed flow {Flow} here from chunk {From} (the relay of its room that carried it is gone)")]
        public static partial void FlowResumed(ILogger logger, Graph.Topology.RoomId room, ulong flow, ulong from);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "Relay {Room}: a media engine connection ended: {Detail}")]
        public static partial void ClientGone(ILogger logger, Graph.Topology.RoomId room, string detail);
    }
}
