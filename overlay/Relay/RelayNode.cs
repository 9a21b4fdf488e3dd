using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Msdn.Client;
using Msdn.Client.Framing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Lifecycle;
using Msdn.Overlay.Metrics;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// One room's relay: accepts peer relays' streams and either forwards them to the next room of their
/// source route (after the Open frame the two streams are spliced byte for byte) or, at the end of the
/// route, delivers the flow in order to the local subscriber and acknowledges it. Flows opened here
/// (<see cref="OpenFlowAsync"/>) are sent along the route table's primary path and fail over to the
/// backup on a broken stream or missing acks, replaying from the last acknowledged chunk.
/// </summary>
public sealed partial class RelayNode : IAsyncDisposable
{
    private readonly IRelayTransport _transport;
    private readonly Func<RoomId, EndPoint?> _peerEndpoints;
    private readonly Func<RouteTable> _routes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RelayNodeOptions _options;
    private readonly ConcurrentDictionary<RoomId, Lazy<Task<IRelayConnection>>> _peers = new();
    /// <summary>Flows delivered here, by (ingress room, flow id): ids are only unique per ingress relay.</summary>
    private readonly ConcurrentDictionary<(string Source, ulong Flow), EgressFlow> _egress = new();
    /// <summary>Flows whose end was delivered here lately, with when (see <see cref="RememberFinished"/>).</summary>
    private readonly ConcurrentDictionary<(string Source, ulong Flow), long> _finishedEgress = new();
    private readonly ConcurrentDictionary<string, Channel<IncomingFlow>> _subscribers = new();
    private readonly ConcurrentDictionary<ulong, RelayFlow> _ingress = new();
    /// <summary>Flows passing through to another room, each with the switch that tears its splice down (drain moves them).</summary>
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _transit = new();
    private readonly Lock _lifecycleLock = new();
    private readonly RelayLifecycle _lifecycle;
    private long _nextTransit;
    /// <summary>Peer connections accepted and still open (each leaves when it ends: peers reconnect for months).</summary>
    private readonly ConcurrentDictionary<IRelayConnection, byte> _inbound = new();
    private readonly CancellationTokenSource _stopping = new();
    private IRelayListener? _listener;
    private Task? _accepting;
    private long _nextFlow;
    private readonly bool _ownsMetrics;

    public RelayNode(RoomId room, IRelayTransport transport, Func<RoomId, EndPoint?> peerEndpoints, Func<RouteTable> routes, TimeProvider time, ILogger<RelayNode> logger, RelayNodeOptions? options = null, RelayMetrics? metrics = null)
    {
        Room = room;
        _transport = transport;
        _peerEndpoints = peerEndpoints;
        _routes = routes;
        _time = time;
        _logger = logger;
        _options = options ?? new RelayNodeOptions();
        _ownsMetrics = metrics is null;
        Metrics = metrics ?? new RelayMetrics(room.Value);
        _lifecycle = new RelayLifecycle(_options.Drain);
        _lifecycle.Changed += (from, to) =>
        {
            Log.StateChanged(_logger, Room, from, to);
            StateChanged?.Invoke(to);
        };
        Metrics.ObserveState(() => (int)State);
        Knowledge = new PathKnowledge(room, time, peer => !CanCarryTo(peer)); // probes answer, but its relay refuses this one's data
        // A random session in the high bits: a restarted relay never reuses an id an egress may still hold.
        _nextFlow = (long)((ulong)(uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue) << 32);
    }

    public RoomId Room { get; }

    /// <summary>The relay entered another lifecycle state (the controller is told at once: a draining room leaves new routes).</summary>
    public event Action<RelayState>? StateChanged;

    public RelayMetrics Metrics { get; }

    /// <summary>Connections peer relays have open to this one now.</summary>
    public int InboundConnections => _inbound.Count;

    /// <summary>Peer connections the listener refused at the handshake (strangers, expired or revoked peers).</summary>
    public long PeersRefused => _listener?.Refused ?? 0;

    public EndPoint LocalEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("The relay is not started.");

    public async Task StartAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        _listener = await _transport.ListenAsync(listen, cancellationToken).ConfigureAwait(false);
        _accepting = Task.Run(AcceptLoopAsync, CancellationToken.None);
        var listener = _listener;
        Metrics.ObservePeersRefused(() => listener.Refused);
    }

    /// <summary>
    /// The flows arriving for <paramref name="endpoint"/> in this room, each announced once (whatever
    /// failovers its path goes through) with its own ordered data.
    /// </summary>
    public ChannelReader<IncomingFlow> Subscribe(string endpoint) =>
        _subscribers.GetOrAdd(endpoint, _ => Channel.CreateUnbounded<IncomingFlow>()).Reader;

    /// <summary>The flows this relay carries as their ingress now (for operators: their paths and failovers).</summary>
    public IReadOnlyCollection<RelayFlow> IngressFlows => [.. _ingress.Values];

    /// <summary>Whether the current route table has a route from this room to <paramref name="destination"/>.</summary>
    public bool HasRoute(RoomId destination)
    {
        var table = _routes();
        return destination != Room && table.Contains(Room) && table.Contains(destination) && table.Find(Room, destination) is not null;
    }

    /// <summary>
    /// Opens a flow from this room to <paramref name="endpoint"/> in <paramref name="destination"/>;
    /// refused with <see cref="RelayDrainingException"/> unless the relay is serving.
    /// </summary>
    public Task<RelayFlow> OpenFlowAsync(RoomId destination, string endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        if (endpoint is ControlEndpoint or HelloEndpoint)
        {
            throw new ArgumentException($"{endpoint} is reserved for relays' own exchanges.", nameof(endpoint));
        }

        if (!TryAdmit())
        {
            throw new RelayDrainingException(Room, State);
        }

        var core = new FlowCore(Room, destination, new FlowSender(_options.MaxChunkBytes, _options.MaxUnacknowledgedBytes), Knowledge, _routes, _options, _time);
        core.FailoverCompleted += Metrics.FailoverCompleted;
        var flow = new RelayFlow((ulong)Interlocked.Increment(ref _nextFlow), endpoint, core, Metrics);
        Metrics.FlowOpened("ingress");
        _ingress[flow.Id] = flow;
        flow.Completion = Task.Run(
            async () =>
            {
                try
                {
                    await RunIngressAsync(flow, _stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    _ingress.TryRemove(flow.Id, out _);
                    Metrics.FlowEnded("ingress");
                    FlowEnded();
                }
            },
            CancellationToken.None);
        return Task.FromResult(flow);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false); // no connection can be added after this
        }

        foreach (var connection in _inbound.Keys)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var peer in _peers.Values)
        {
            if (peer.IsValueCreated && peer.Value.IsCompletedSuccessfully)
            {
                await peer.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }

        _stopping.Dispose();
        if (_ownsMetrics)
        {
            Metrics.Dispose();
        }
    }

    /// <summary>After an accept fails for a reason other than shutdown: long enough not to spin on a persistent error, short enough that peers barely notice.</summary>
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private async Task AcceptLoopAsync()
    {
        var failing = false; // log a run of failures once, count each
        while (!_stopping.IsCancellationRequested)
        {
            IRelayConnection connection;
            try
            {
                connection = await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
                failing = false;
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return; // shutting down (the listener stopped or was disposed under the loop), not a fault
            }
#pragma warning disable CA1031 // whatever one accept throws (descriptors exhausted, a transport's surprise), peers must still get in
            catch (Exception e)
#pragma warning restore CA1031
            {
                Metrics.AcceptFailed();
                if (!failing)
                {
                    Log.AcceptFailed(_logger, Room, e.GetType().Name, e.Message);
                    failing = true;
                }

                try
                {
                    await Task.Delay(AcceptRetryDelay, _time, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (_stopping.IsCancellationRequested)
            {
                await connection.DisposeAsync().ConfigureAwait(false); // accepted while shutting down
                return;
            }

            _inbound[connection] = 0;
            _ = Task.Run(() => ServeConnectionAsync(connection), CancellationToken.None);
        }
    }

    private async Task ServeConnectionAsync(IRelayConnection connection)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Stream stream;
            try
            {
                stream = await connection.AcceptStreamAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                break;
            }

            _ = Task.Run(() => ServeStreamAsync(stream), CancellationToken.None);
        }

        // The connection ended (the peer closed it, died or was refused on the way) or the relay is stopping,
        // which disposes what is left itself.
        if (!_stopping.IsCancellationRequested && _inbound.TryRemove(connection, out _))
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // Already broken: nothing left to release.
            }
        }
    }

    private async Task ServeStreamAsync(Stream stream)
    {
        var frames = new FrameStream(stream, FrameLimits.Default);
        var endedWell = false; // only an exchange that ended well closes its stream gracefully; any other is reset
        try
        {
            (Frame Frame, byte[] Payload)? first;
            using (var opening = Within(_options.PathSetupTimeout)) // a stream that never says what it is for holds nothing for long
            {
                first = await frames.ReadAsync(opening.Token).ConfigureAwait(false);
            }

            if (first?.Frame.Control is not OpenFlow open)
            {
                throw new FrameFormatException("A relay stream must start with an Open frame.");
            }

            var at = Array.IndexOf(open.Path, Room.Value);
            if (at < 1)
            {
                throw new FrameFormatException($"Flow {open.FlowId}'s path {string.Join('>', open.Path)} does not pass {Room} after its first room.");
            }

            if (at == open.Path.Length - 1 && open.Endpoint == HelloEndpoint)
            {
                await AnswerHelloAsync(frames, open).ConfigureAwait(false);
                endedWell = true;
            }
            else if (at == open.Path.Length - 1 && open.Endpoint == ControlEndpoint)
            {
                await ServeControlTunnelAsync(frames).ConfigureAwait(false);
                endedWell = true;
            }
            else if (at == open.Path.Length - 1)
            {
                endedWell = await ServeEgressAsync(frames, open).ConfigureAwait(false);
            }
            else if (TryAdmit())
            {
                try
                {
                    endedWell = await ForwardAsync(frames, first.Value.Frame, new RoomId(open.Path[at + 1])).ConfigureAwait(false);
                }
                finally
                {
                    FlowEnded();
                }
            }
            else
            {
                // Draining: the ingress hears a closed stream and takes another path.
                await SayLastAsync(frames, new CloseFlow(open.FlowId, $"relay {Room} is {State}")).ConfigureAwait(false);
                endedWell = true;
            }
        }
        catch (FrameFormatException e)
        {
            Metrics.FrameRejected("malformed");
            Log.StreamEnded(_logger, Room, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            Log.StreamEnded(_logger, Room, e.Message);
        }
        finally
        {
            if (endedWell)
            {
                await frames.CloseAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
            }
            else
            {
                frames.Abandon();
            }
        }
    }

    /// <summary>
    /// Writes a last control frame (a refusal, a close naming a lost room) with a deadline: a peer that stopped
    /// reading gets its stream reset instead of holding this relay's task.
    /// </summary>
    private async Task SayLastAsync(FrameStream frames, CloseFlow close)
    {
        using var deadline = Within(_options.CloseTimeout);
        await frames.WriteAsync(Frame.Close(close), deadline.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Splices the upstream stream to the next hop: the Open frame, then raw bytes both ways. True when both
    /// directions ended well (each side closed its writing); after any failure both streams are reset, so
    /// the break reaches both ends at once and neither waits on this relay.
    /// </summary>
    private async Task<bool> ForwardAsync(FrameStream upstream, Frame open, RoomId next)
    {
        using var watched = NextHops.Use(next);
        var flowId = ((OpenFlow)open.Control!).FlowId;
        Stream downstream;
        try
        {
            using var dialling = Within(_options.PathSetupTimeout); // a black-holed next hop: the ingress gives up on this path by then anyway
            downstream = await OpenStreamToAsync(next, dialling.Token).ConfigureAwait(false);
        }
        catch (PeerUnreachableException e)
        {
            // Tell the ingress which room failed: it avoids it for every flow instead of retrying through it.
            await SayLastAsync(upstream, new CloseFlow(flowId, e.Message, next.Value)).ConfigureAwait(false);
            return true;
        }

        var downstreamFrames = new FrameStream(downstream, FrameLimits.Default);
        var endedWell = false;
        try
        {
            using (var setup = Within(_options.PathSetupTimeout)) // a silent next hop: give up, the ingress fails over anyway
            {
                await downstreamFrames.WriteAsync(open, setup.Token).ConfigureAwait(false);
            }

            using var broken = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var id = Interlocked.Increment(ref _nextTransit);
            _transit[id] = broken;
            Metrics.FlowOpened("transit");
            try
            {
                var ended = await SpliceBothWaysAsync(upstream, downstream, broken, _options.CloseTimeout, _time).ConfigureAwait(false);
                if (ended == SpliceEnd.DownstreamLost)
                {
                    await TellUpstreamAsync(upstream, new CloseFlow(flowId, $"relay {Room} lost its connection to {next}", next.Value)).ConfigureAwait(false);
                }

                endedWell = ended == SpliceEnd.Closed;
                return endedWell;
            }
            finally
            {
                _transit.TryRemove(id, out _);
                Metrics.FlowEnded("transit");
            }
        }
        finally
        {
            if (endedWell)
            {
                await downstreamFrames.CloseAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
            }
            else
            {
                downstreamFrames.Abandon();
            }
        }
    }

    private async Task TellUpstreamAsync(FrameStream upstream, CloseFlow close)
    {
        try
        {
            await SayLastAsync(upstream, close).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The upstream is gone too, or stopped reading; its ingress finds out on its own.
        }
    }

    private enum SpliceEnd
    {
        /// <summary>The ingress closed its writing and that end went on: the flow ended normally.</summary>
        Closed,

        /// <summary>A side broke (reset, cancelled, its connection failed on the upstream side).</summary>
        Broken,

        /// <summary>The downstream's connection died: the ingress is told which room was lost.</summary>
        DownstreamLost,
    }

    /// <summary>Splices until either side ends, and says how it ended.</summary>
    private static async Task<SpliceEnd> SpliceBothWaysAsync(FrameStream upstream, Stream downstream, CancellationTokenSource broken, TimeSpan closeTimeout, TimeProvider time)
    {
        var downstreamLost = false;
        var forward = Task.Run(async () =>
        {
            try
            {
                await SpliceAsync(upstream.Reader, downstream, broken.Token).ConfigureAwait(false);
                await downstream.CompleteWritesAsync().ConfigureAwait(false);
            }
            catch
            {
                await broken.CancelAsync().ConfigureAwait(false); // one direction broke: the other stops too
                throw;
            }
        });
        var backward = Task.Run(async () =>
        {
            try
            {
                await downstream.CopyToAsync(upstream.Stream, broken.Token).ConfigureAwait(false);
                await upstream.Stream.CompleteWritesAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                downstreamLost |= RelayStreams.IsConnectionLoss(e);
                await broken.CancelAsync().ConfigureAwait(false);
                throw;
            }
        });
        var forwardWell = await Settle(forward).ConfigureAwait(false);
        if (forwardWell && await Task.WhenAny(backward, Task.Delay(closeTimeout, time)).ConfigureAwait(false) != backward)
        {
            await broken.CancelAsync().ConfigureAwait(false); // the flow's end went on; the far side's answer has had its time
        }

        await Settle(backward).ConfigureAwait(false);
        // The way back only carries acks and the end's confirmation: once the flow's bytes and end have gone on
        // (the forward way ended well), an upstream that stopped listening is no failure.
        return downstreamLost ? SpliceEnd.DownstreamLost : forwardWell ? SpliceEnd.Closed : SpliceEnd.Broken;

        static async Task<bool> Settle(Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or NotSupportedException)
            {
                return false; // one side broke: both are torn down, the ingress fails over
            }
        }
    }

    /// <summary>
    /// Copies what the upstream delivers onward in writes of up to 64 KiB, not per pipe segment: a QUIC stream
    /// write costs a native call and a completion whatever its size, and the TCP multiplexer cuts a write
    /// into 16 KiB frames in one go. The buffer is rented only while there is something to copy, so an idle
    /// transit flow holds none.
    /// </summary>
    private static async Task SpliceAsync(System.IO.Pipelines.PipeReader source, Stream destination, CancellationToken cancellationToken)
    {
        const int MaxWrite = 64 * 1024;
        while (true)
        {
            var result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                var scratch = ArrayPool<byte>.Shared.Rent(MaxWrite);
                while (!buffer.IsEmpty)
                {
                    var take = (int)Math.Min(MaxWrite, buffer.Length);
                    buffer.Slice(0, take).CopyTo(scratch);
                    await destination.WriteAsync(scratch.AsMemory(0, take), cancellationToken).ConfigureAwait(false);
                    buffer = buffer.Slice(take);
                }

                // Returned only after writes that completed: a cancelled QUIC write may still be reading it
                // natively, so on a failure the buffer is left to the collector, never reused.
                ArrayPool<byte>.Shared.Return(scratch);
            }

            source.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Delivers a flow's chunks in order and acknowledges them; true when the ingress closed the flow (its
    /// end is confirmed back) or it was refused, false when the stream ended without a close.
    /// </summary>
    private async Task<bool> ServeEgressAsync(FrameStream frames, OpenFlow open)
    {
        var key = (open.Source, open.FlowId);
        if (!_egress.TryGetValue(key, out var flow))
        {
            if (_finishedEgress.ContainsKey(key))
            {
                // Its end already reached the subscriber; the ingress missed the confirmation and asks again.
                await SayLastAsync(frames, new CloseFlow(open.FlowId, "delivered", Delivered: true)).ConfigureAwait(false);
                return true;
            }

            // A new flow (not the replay of one already here after a failover) must be admitted.
            if (!TryAdmit())
            {
                await SayLastAsync(frames, new CloseFlow(open.FlowId, $"relay {Room} is {State}")).ConfigureAwait(false);
                return true;
            }

            var incoming = new IncomingFlow(new RoomId(open.Source), open.FlowId, open.Endpoint);
            var added = _egress.GetOrAdd(key, _ => new EgressFlow(incoming, Metrics));
            if (ReferenceEquals(added.Incoming, incoming))
            {
                Metrics.FlowOpened("egress");
                _subscribers.GetOrAdd(open.Endpoint, _ => Channel.CreateUnbounded<IncomingFlow>()).Writer.TryWrite(incoming);
            }
            else
            {
                FlowEnded(); // another stream of the same flow got there first
            }

            flow = added;
        }

        // Acks go back in batches: when the sender asks (it has nothing more queued), or every AckBatchBytes.
        long unacknowledgedBytes = 0;
        while (await frames.ReadAsync(_stopping.Token).ConfigureAwait(false) is { } first)
        {
            var read = first;
            var ackNow = false;
            var more = true;
            while (more)
            {
                switch (read.Frame.Kind)
                {
                    case FrameKind.Data or FrameKind.DataAckNow:
                        lock (flow)
                        {
                            flow.Receiver.Accept(new FlowChunk(read.Frame.Sequence, read.Payload));
                        }

                        unacknowledgedBytes += read.Payload.Length;
                        ackNow |= read.Frame.Kind == FrameKind.DataAckNow;
                        break;
                    case FrameKind.Close:
                        if (_egress.TryRemove(key, out _))
                        {
                            RememberFinished(key);
                            flow.Incoming.Writer.TryComplete();
                            Metrics.FlowEnded("egress");
                            FlowEnded();
                        }

                        await SayLastAsync(frames, new CloseFlow(open.FlowId, "delivered", Delivered: true)).ConfigureAwait(false);
                        return true;
                    default:
                        throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame on flow {open.FlowId}.");
                }

                more = frames.TryReadBuffered(out read);
            }

            if (!ackNow && unacknowledgedBytes < _options.AckBatchBytes)
            {
                continue;
            }

            ulong ack;
            lock (flow)
            {
                ack = flow.Receiver.NextExpected;
            }

            unacknowledgedBytes = 0;
            using var deadline = Within(_options.CloseTimeout); // a path that takes no acks is one the ingress is leaving
            await frames.WriteAsync(Frame.Ack(open.FlowId, ack), deadline.Token).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>How long a delivered flow's end is remembered, to confirm it again to an ingress that missed the first confirmation.</summary>
    private static readonly TimeSpan FinishedMemory = TimeSpan.FromMinutes(1);

    private void RememberFinished((string Source, ulong Flow) key)
    {
        var now = _time.GetTimestamp();
        _finishedEgress[key] = now;
        if (_finishedEgress.Count > 1024)
        {
            foreach (var (old, at) in _finishedEgress)
            {
                if (_time.GetElapsedTime(at, now) > FinishedMemory)
                {
                    _finishedEgress.TryRemove(old, out _);
                }
            }
        }
    }

    /// <summary>
    /// A new stream to the room's relay over the connection kept to it; a connection that has died since
    /// (the peer restarted, the network broke) is replaced once before the room counts as unreachable.
    /// </summary>
    private async Task<Stream> OpenStreamToAsync(RoomId room, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var endpoint = _peerEndpoints(room) ?? throw new PeerUnreachableException(room, $"No endpoint is known for room {room}.", null);
            var connection = _peers.GetOrAdd(room, _ => Dial(room, endpoint));
            var wasOpen = connection.IsValueCreated && connection.Value.IsCompletedSuccessfully;
            try
            {
                var open = await connection.Value.WaitAsync(cancellationToken).ConfigureAwait(false); // a dial in its handshake must not hold a flow past its patience
                return await open.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                _peers.TryRemove(new KeyValuePair<RoomId, Lazy<Task<IRelayConnection>>>(room, connection));
                if (wasOpen && attempt == 0)
                {
                    continue; // a stale connection says nothing about the peer now: dial it afresh
                }

                throw new PeerUnreachableException(room, $"Cannot reach room {room}: {e.Message}", e);
            }
        }
    }

    /// <summary>Forgets the connection kept to a room's relay and closes it in the background (its peer may never answer).</summary>
    private void DropConnection(RoomId room)
    {
        if (!_peers.TryRemove(room, out var connection) || !connection.IsValueCreated)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await (await connection.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or OperationCanceledException or ObjectDisposedException)
            {
                // It never connected, or already broke: nothing left to close.
            }
        });
    }

    /// <summary>
    /// Makes sure a connection to each peer room's relay is open (best effort), so that a failover onto a
    /// backup path does not wait for a TCP and TLS handshake: production relays keep their links warm.
    /// With <paramref name="patience"/>, returns after at most that long and leaves slower dials running
    /// (a black-holed peer's handshake takes its full timeout; the next round finds it still dialling rather
    /// than waiting behind it to re-dial everyone else).
    /// </summary>
    public async Task WarmAsync(IEnumerable<RoomId> peers, TimeSpan? patience = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var dials = Task.WhenAll(peers.Select(async peer =>
        {
            if (_peerEndpoints(peer) is not { } endpoint)
            {
                return;
            }

            var connection = _peers.GetOrAdd(peer, _ => Dial(peer, endpoint));
            try
            {
                await connection.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException or OperationCanceledException)
            {
                _peers.TryRemove(new KeyValuePair<RoomId, Lazy<Task<IRelayConnection>>>(peer, connection)); // not up yet: the next round tries again
            }
        }));
        if (patience is not { } limit)
        {
            await dials.ConfigureAwait(false);
            return;
        }

        try
        {
            await dials.WaitAsync(limit, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Some dials are still in their handshake: they finish (or fail and are forgotten) on their own.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the dials end with the relay.
        }
    }

    /// <summary>A token that ends when the relay stops or after <paramref name="limit"/>: every wait on a peer gets one.</summary>
    private CancellationTokenSource Within(TimeSpan limit)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(limit);
        return deadline;
    }

    private bool TryAdmit()
    {
        lock (_lifecycleLock)
        {
            return _lifecycle.TryAdmitFlow();
        }
    }

    private void FlowEnded()
    {
        lock (_lifecycleLock)
        {
            _lifecycle.FlowEnded();
        }

        SignalIfDrained();
    }

    private sealed class EgressFlow(IncomingFlow incoming, RelayMetrics metrics)
    {
        public IncomingFlow Incoming => incoming;

        // Each payload is already a fresh array of its own (read from the frame): hand it over without copying.
        public FlowReceiver Receiver { get; } = new(chunk =>
        {
            incoming.Writer.TryWrite(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(chunk, out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length ? whole.Array : chunk.ToArray());
            metrics.BytesOut(chunk.Length);
        });
    }
}
