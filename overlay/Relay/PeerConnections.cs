using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// The connections this relay keeps to its peer relays, one per relay (a room may run several: its nodes),
/// dialled on first use (or kept warm), replaced when they die, and proven: probes are UDP with the cluster's
/// HMAC key while data connections are TLS with certificates each side must trust, so a peer that does not
/// trust this relay's certificate (or whose certificate this relay does not trust) answers probes while
/// refusing every flow. Each new connection is therefore proven with a hello exchange, and a room whose every
/// relay refuses is avoided as a first hop (and reported) until a connection works. Which of a room's relays a
/// stream goes to is the caller's key's rendezvous choice (<see cref="NodeChoice"/>), passing over relays that
/// failed or refused lately while another can be tried.
/// </summary>
internal sealed partial class PeerConnections(RelayContext relay, IRelayTransport transport, Func<RoomId, IReadOnlyList<EndPoint>> nodes) : IAsyncDisposable
{
    /// <summary>The reserved endpoint a new connection's hello goes to; no media flow may use it.</summary>
    public const string HelloEndpoint = "$hello";

    /// <summary>
    /// How long a refusal stands without a new one. A peer that dies during the hello looks like one that
    /// refused; a peer that really refuses is refused again by the warm-keeper's next dial, well within this.
    /// A relay that could not be reached is tried after its siblings for as long.
    /// </summary>
    public static readonly TimeSpan RefusalHold = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<PeerNode, Lazy<Task<IRelayConnection>>> _peers = new();

    /// <summary>Relays whose last connection was refused, with why and until when (absent: usable, or not tried yet).</summary>
    private readonly ConcurrentDictionary<PeerNode, (string Reason, long Until)> _refusedBy = new();

    /// <summary>Relays that could not be reached lately, until when they are tried after their siblings.</summary>
    private readonly ConcurrentDictionary<PeerNode, long> _unreachableUntil = new();

    /// <summary>New connections to a relay whose hello failed ambiguously (closed, no answer), in a row.</summary>
    private readonly ConcurrentDictionary<PeerNode, int> _unprovenDials = new();

    /// <summary>Why a dialled peer's certificate is not its room's relay, or null when it is (see <see cref="RelayNode.PeerIdentity"/>).</summary>
    public Func<RoomId, System.Security.Cryptography.X509Certificates.X509Certificate?, string?>? PeerIdentity { get; set; }

    /// <summary>What a hop weighs each relay of a room by when it picks among them (its headroom, as the directory gives it); null: all alike.</summary>
    public Func<EndPoint, double>? NodeWeight { get; set; }

    /// <summary>A peer room's data connections were all refused (false) or one works again (true).</summary>
    public event Action<RoomId, bool>? DataLinkChanged;

    /// <summary>Whether a data connection to <paramref name="peer"/> works (or has not been tried): false while every relay of the room refuses this one.</summary>
    public bool CanCarryTo(RoomId peer) => RoomUsable(peer, nodes(peer));

    /// <summary>How long the latest refusal by one of <paramref name="room"/>'s relays still stands (zero: none stands).</summary>
    public TimeSpan RefusalLeft(RoomId room)
    {
        var now = relay.Time.GetTimestamp();
        var until = _refusedBy.Where(r => r.Key.Room == room).Select(r => r.Value.Until).DefaultIfEmpty(now).Max();
        return until > now ? relay.Time.GetElapsedTime(now, until) : TimeSpan.Zero;
    }

    /// <summary>Peer rooms whose every relay refuses this one's data connection now, and why.</summary>
    public IReadOnlyDictionary<RoomId, string> RefusedPeers =>
        _refusedBy.Keys.Select(n => n.Room).Distinct().Where(room => !CanCarryTo(room))
            .ToDictionary(room => room, room => _refusedBy.Where(r => r.Key.Room == room).Select(r => r.Value.Reason).First());

    /// <summary>
    /// A new stream to one of the room's relays: the first in <paramref name="affinity"/>'s rendezvous order that
    /// has not failed or refused lately and can be reached, then the others; never one named in
    /// <paramref name="avoid"/>. A connection that has died since (the peer restarted, the network broke) is
    /// replaced once before that relay counts as unreachable.
    /// </summary>
    /// <param name="affinity">What the choice follows: a flow (it keeps its relay), or the subscriber's endpoint at the flow's destination room.</param>
    /// <param name="avoid">Relays (by <see cref="PeerNode.Name"/>) that died or drained under the flow being carried.</param>
    /// <exception cref="PeerUnreachableException">No endpoint is known for the room, or none of its relays can be reached.</exception>
    /// <exception cref="NoNodeLeftException">Every relay of the room is in <paramref name="avoid"/>.</exception>
    public async Task<PeerStream> OpenAsync(RoomId room, string affinity, IReadOnlyCollection<string> avoid, CancellationToken cancellationToken)
    {
        var candidates = Preferred(room, affinity);
        var avoided = candidates.RemoveAll(n => avoid.Contains(n.Name));
        if (candidates.Count == 0)
        {
            throw avoided == 0 ? new PeerUnreachableException(room, $"No endpoint is known for room {room}.", null) : new NoNodeLeftException(room);
        }

        Exception? last = null;
        foreach (var node in candidates)
        {
            try
            {
                var stream = await OpenStreamAsync(node, cancellationToken).ConfigureAwait(false);
                _unreachableUntil.TryRemove(node, out _);
                return new PeerStream(stream, node);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                _unreachableUntil[node] = HoldFromNow();
                last = e;
            }
        }

        throw new PeerUnreachableException(room, $"Cannot reach room {room}{(candidates.Count > 1 ? $" (any of its {candidates.Count} relays)" : string.Empty)}: {last!.Message}", last);
    }

    /// <summary>A new stream to a room's relay for control (the room's name is the key: one relay of the room, the same each time).</summary>
    public async Task<Stream> OpenStreamAsync(RoomId room, CancellationToken cancellationToken) =>
        (await OpenAsync(room, room.Value, [], cancellationToken).ConfigureAwait(false)).Stream;

    /// <summary>
    /// The connection to <paramref name="node"/> broke under a flow: that relay is tried after its siblings for a
    /// while and its connection is dialled afresh. True when another relay of its room can be tried now (the flow
    /// takes the same path again through it rather than leave the room).
    /// </summary>
    public bool NodeLost(PeerNode node)
    {
        _unreachableUntil[node] = HoldFromNow();
        Drop(node);
        var now = relay.Time.GetTimestamp();
        return nodes(node.Room).Select(e => new PeerNode(node.Room, e)).Any(n => n != node && Usable(n, now));
    }

    /// <summary>
    /// Whether <paramref name="room"/> lists a relay other than <paramref name="node"/> and those in
    /// <paramref name="avoid"/>: a flow that lost that relay can take the same path again through a sibling.
    /// </summary>
    public bool HasSibling(RoomId room, string node, IReadOnlyCollection<string> avoid) =>
        nodes(room).Select(e => new PeerNode(room, e).Name).Any(n => n != node && !avoid.Contains(n));

    private long HoldFromNow() => relay.Time.GetTimestamp() + (long)(RefusalHold.TotalSeconds * relay.Time.TimestampFrequency);

    private async Task<Stream> OpenStreamAsync(PeerNode node, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connection = _peers.GetOrAdd(node, Dial);
            var wasOpen = connection.IsValueCreated && connection.Value.IsCompletedSuccessfully;
            try
            {
                var open = await connection.Value.WaitAsync(cancellationToken).ConfigureAwait(false); // a dial in its handshake must not hold a flow past its patience
                return await open.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                _peers.TryRemove(new KeyValuePair<PeerNode, Lazy<Task<IRelayConnection>>>(node, connection));
                if (wasOpen && attempt == 0)
                {
                    continue; // a stale connection says nothing about the peer now: dial it afresh
                }

                throw;
            }
        }
    }

    /// <summary>
    /// The room's relays in the key's rendezvous order, weighted by their headroom (a busy relay comes first for fewer
    /// keys), those that failed or refused lately last (in the same order).
    /// </summary>
    private List<PeerNode> Preferred(RoomId room, string affinity)
    {
        var known = nodes(room);
        if (known.Count == 1)
        {
            return [new PeerNode(room, known[0])];
        }

        var now = relay.Time.GetTimestamp();
        var candidates = known.Select(e => new PeerNode(room, e));
        var ordered = NodeWeight is { } weigh ? NodeChoice.Order(affinity, candidates, n => n.Name, n => weigh(n.Endpoint)) : NodeChoice.Order(affinity, candidates, n => n.Name);
        return [.. ordered.Where(n => Usable(n, now)), .. ordered.Where(n => !Usable(n, now))];
    }

    private bool Usable(PeerNode node, long now) =>
        !(_refusedBy.TryGetValue(node, out var refusal) && now < refusal.Until)
        && !(_unreachableUntil.TryGetValue(node, out var until) && now < until);

    private bool RoomUsable(RoomId room, IReadOnlyList<EndPoint> endpoints)
    {
        var now = relay.Time.GetTimestamp();
        return endpoints.Count == 0
            ? !_refusedBy.Any(r => r.Key.Room == room && now < r.Value.Until)
            : endpoints.Any(e => !(_refusedBy.TryGetValue(new PeerNode(room, e), out var refusal) && now < refusal.Until));
    }

    /// <summary>Forgets the connections kept to a room's relays and closes them in the background (a peer may never answer).</summary>
    public void Drop(RoomId room)
    {
        foreach (var node in _peers.Keys.Where(n => n.Room == room).ToList())
        {
            Drop(node);
        }
    }

    private void Drop(PeerNode node)
    {
        if (!_peers.TryRemove(node, out var connection) || !connection.IsValueCreated)
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
    /// Makes sure a connection to every relay of each peer room is open (best effort), so that a failover onto a
    /// backup path does not wait for a TCP and TLS handshake: production relays keep their links warm.
    /// With <paramref name="patience"/>, returns after at most that long and leaves slower dials running
    /// (a black-holed peer's handshake takes its full timeout; the next round finds it still dialling rather
    /// than waiting behind it to re-dial everyone else).
    /// </summary>
    public async Task WarmAsync(IEnumerable<RoomId> peers, TimeSpan? patience, CancellationToken cancellationToken)
    {
        var dials = Task.WhenAll(peers.SelectMany(peer => nodes(peer).Select(endpoint => new PeerNode(peer, endpoint))).Select(async node =>
        {
            var connection = _peers.GetOrAdd(node, Dial);
            try
            {
                await connection.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException or OperationCanceledException)
            {
                _peers.TryRemove(new KeyValuePair<PeerNode, Lazy<Task<IRelayConnection>>>(node, connection)); // not up yet: the next round tries again
            }
        }));
        if (patience is not { } limit)
        {
            await dials.ConfigureAwait(false);
            return;
        }

        try
        {
            await dials.WaitAsync(limit, relay.Time, cancellationToken).ConfigureAwait(false);
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

    /// <summary>A peer's hello: answered at once, proving to the dialler that this relay accepted its certificate.</summary>
    public Task AnswerHelloAsync(FrameStream frames, OpenFlow open) =>
        relay.SayLastAsync(frames, new CloseFlow(open.FlowId, "hello", Delivered: true));

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers.Values)
        {
            if (peer.IsValueCreated && peer.Value.IsCompletedSuccessfully)
            {
                await peer.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private Lazy<Task<IRelayConnection>> Dial(PeerNode node) => new(() => ConnectAsync(node));

    private async Task<IRelayConnection> ConnectAsync(PeerNode node)
    {
        IRelayConnection connection;
        try
        {
            connection = await transport.ConnectAsync(node.Endpoint, relay.Stopping).ConfigureAwait(false);
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            Refused(node, $"the TLS handshake failed: {e.Message}"); // this relay refused the peer's certificate
            throw;
        }

        if (PeerIdentity?.Invoke(node.Room, connection.RemoteCertificate) is { } impostor)
        {
            Refused(node, impostor);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new System.Security.Authentication.AuthenticationException(impostor);
        }

        // Proven in the background: the first flow on a fresh connection does not wait for the hello.
        _ = Task.Run(() => ProveAsync(node, connection), CancellationToken.None);
        return connection;
    }

    /// <summary>
    /// One round trip on a new connection: the peer answers a hello only if it accepted this relay's
    /// certificate (with TLS 1.3 a server refuses the client's certificate after the client's handshake has
    /// completed, so the dialler learns it only when the connection closes under its first stream).
    /// </summary>
    private async Task ProveAsync(PeerNode node, IRelayConnection connection)
    {
        var room = node.Room;
        string? failure = null;
        var certain = false; // a TLS alert says "refused" outright; a closed connection may also be a peer that just died
        var closed = false; // the connection is gone either way
        var options = relay.Options;
        try
        {
            using var deadline = relay.Within(options.PathSetupTimeout);
            var frames = new FrameStream(await connection.OpenStreamAsync(deadline.Token).ConfigureAwait(false), FrameLimits.Default);
            try
            {
                await frames.WriteAsync(Frame.Open(new OpenFlow(0, relay.Room.Value, room.Value, HelloEndpoint, [relay.Room.Value, room.Value], 0)), deadline.Token).ConfigureAwait(false);
                if (await frames.ReadAsync(deadline.Token).ConfigureAwait(false) is not { Frame.Control: CloseFlow { Delivered: true } })
                {
                    failure = "its relay closed the connection after the handshake: it does not trust this relay's certificate";
                }
            }
            finally
            {
                await frames.CloseAsync(options.CloseTimeout, relay.Time).ConfigureAwait(false);
            }
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            failure = $"its relay refused this relay's certificate ({e.Message})"; // QUIC says so on the first stream
            certain = true;
        }
        catch (Exception e) when (e is IOException or FrameFormatException or ObjectDisposedException)
        {
            closed = true;
            failure = $"its relay closed the connection after the handshake ({e.Message}): it does not trust this relay's certificate";
        }
        catch (OperationCanceledException) when (!relay.IsStopping)
        {
            failure = $"its relay did not answer a hello within {options.PathSetupTimeout.TotalMilliseconds:F0} ms";
        }
        catch (OperationCanceledException)
        {
            return; // stopping
        }

        if (failure is null)
        {
            _unprovenDials.TryRemove(node, out _);
            var wasUsable = CanCarryTo(room);
            if (_refusedBy.TryRemove(node, out _))
            {
                Log.PeerAccepted(relay.Logger, relay.Room, room, node.Name);
                if (!wasUsable)
                {
                    DataLinkChanged?.Invoke(room, true);
                }
            }

            return;
        }

        if (certain || closed)
        {
            Drop(node); // the next use, or the warm-keeper's next round, dials and proves afresh
        }

        if (certain || _unprovenDials.AddOrUpdate(node, 1, (_, n) => n + 1) >= 2)
        {
            Refused(node, failure); // twice in a row: a peer killed during one hello cannot answer the next dial at all
        }
    }

    private void Refused(PeerNode node, string reason)
    {
        var room = node.Room;
        var wasUsable = CanCarryTo(room);
        var known = _refusedBy.TryGetValue(node, out var before) && before.Reason == reason;
        _refusedBy[node] = (reason, HoldFromNow());
        relay.Metrics.PeerRefusedData();
        if (!known)
        {
            Log.PeerRefused(relay.Logger, relay.Room, room, node.Name, reason); // once per relay and reason: a refusing peer is re-dialled every few seconds
        }

        if (wasUsable && !CanCarryTo(room))
        {
            DataLinkChanged?.Invoke(room, false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Relay {Room}: the data connection to {Peer} (its relay at {Node}) is refused: {Reason}. Once every relay of the room refuses, the link is reported down and avoided until a connection works")]
        public static partial void PeerRefused(ILogger logger, RoomId room, RoomId peer, string node, string reason);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Relay {Room}: the data connection to {Peer} (its relay at {Node}) works again")]
        public static partial void PeerAccepted(ILogger logger, RoomId room, RoomId peer, string node);
    }
}
