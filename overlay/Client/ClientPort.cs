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
    private TcpListener? _listener;
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
            if (hello.Operation == ClientOperation.Open)
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
    /// Data frames become the flow's bytes; Close ends it once all is delivered. A connection that ends
    /// without a Close (or breaks) still has what it sent delivered, and the flow's end says it was cut off.
    /// </summary>
    private async Task ServeOpenAsync(FrameStream frames, ClientHello hello)
    {
        var destination = new Graph.Topology.RoomId(hello.Room);
        if (!node.HasRoute(destination))
        {
            await RefuseAsync(frames, "unknown room", $"Relay {node.Room} has no route to room {destination}.").ConfigureAwait(false);
            return;
        }

        var flow = await node.OpenFlowAsync(destination, hello.Endpoint, _stopping.Token).ConfigureAwait(false);
        await frames.WriteAsync(Frame.Ack(flow.Id, 0), _stopping.Token).ConfigureAwait(false); // accepted
        try
        {
            var closed = false;
            while (!closed && await frames.ReadAsync(_stopping.Token).ConfigureAwait(false) is { } read)
            {
                closed = read.Frame.Kind == FrameKind.Close;
                if (!closed && !read.Frame.IsData)
                {
                    throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame from a media engine writing flow {flow.Id}.");
                }

                if (!closed)
                {
                    await flow.WriteAsync(read.Payload, _stopping.Token).ConfigureAwait(false);
                    ChunkArrays.Recycle(read.Payload); // copied into the flow's own chunks
                }
            }

            // What was accepted is delivered even if the engine went away without saying goodbye, as cut off.
            if (closed)
            {
                flow.CompleteWriting();
            }
            else
            {
                flow.CutOff();
            }

            await flow.Completion.ConfigureAwait(false);
            await frames.WriteAsync(Frame.Close(new CloseFlow(flow.Id, "delivered")), _stopping.Token).ConfigureAwait(false);
        }
        catch (IOException e) when (flow.HasFailed)
        {
            await RefuseAsync(frames, "failed", e.Message, flow.Id).ConfigureAwait(false);
        }
        finally
        {
            flow.CutOff(); // broken off by an error (no effect when the flow ended above)
        }
    }

    /// <summary>
    /// Each arriving flow: an Open naming it, its Data in order, a Close. Flows interleave on the connection.
    /// The subscription lasts as long as its token: at <paramref name="expires"/> it ends with a Close saying so
    /// (the engine subscribes again with a fresh token).
    /// </summary>
    private async Task ServeSubscriptionAsync(FrameStream frames, string endpoint, DateTimeOffset expires)
    {
        await frames.WriteAsync(Frame.Ack(0, 0), _stopping.Token).ConfigureAwait(false); // accepted
        using var expiry = new CancellationTokenSource(Max(expires - tokens.Time.GetUtcNow(), TimeSpan.Zero), tokens.Time);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, expiry.Token);
        var watching = Task.Run(
            async () =>
            {
                try
                {
                    // A subscriber sends nothing more; the end of its connection ends the subscription.
                    while (await frames.ReadAsync(gone.Token).ConfigureAwait(false) is not null)
                    {
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
                forwarding.Add(Task.Run(() => ForwardIncomingAsync(frames, incoming, gone.Token), CancellationToken.None));
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
        await frames.WriteAsync(Frame.Open(new OpenFlow(incoming.Id, incoming.Source.Value, node.Room.Value, incoming.Endpoint, [], 0)), cancellationToken).ConfigureAwait(false);
        ulong sequence = 0;
        var end = new CloseFlow(incoming.Id, "end");
        try
        {
            await foreach (var chunk in incoming.Data.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await frames.WriteAsync(Frame.Data(incoming.Id, sequence++, new System.Buffers.ReadOnlySequence<byte>(chunk)), cancellationToken).ConfigureAwait(false);
                ChunkArrays.Recycle(chunk); // written out: the engine has its copy
            }
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

        [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "Relay {Room}: a media engine connection ended: {Detail}")]
        public static partial void ClientGone(ILogger logger, Graph.Topology.RoomId room, string detail);
    }
}
