using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// The connections this relay keeps to its peer relays, one per room, dialled on first use (or kept warm),
/// replaced when they die, and proven: probes are UDP with the cluster's HMAC key while data connections
/// are TLS with certificates each side must trust, so a peer that does not trust this relay's certificate
/// (or whose certificate this relay does not trust) answers probes while refusing every flow. Each new
/// connection is therefore proven with a hello exchange, and a peer whose connection is refused is avoided
/// as a first hop (and reported) until a connection works.
/// </summary>
internal sealed partial class PeerConnections(RelayContext relay, IRelayTransport transport, Func<RoomId, EndPoint?> endpoints) : IAsyncDisposable
{
    /// <summary>The reserved endpoint a new connection's hello goes to; no media flow may use it.</summary>
    public const string HelloEndpoint = "$hello";

    /// <summary>
    /// How long a refusal stands without a new one. A peer that dies during the hello looks like one that
    /// refused; a peer that really refuses is refused again by the warm-keeper's next dial, well within this.
    /// </summary>
    public static readonly TimeSpan RefusalHold = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<RoomId, Lazy<Task<IRelayConnection>>> _peers = new();

    /// <summary>Peers whose last connection was refused, with why and until when (absent: usable, or not tried yet).</summary>
    private readonly ConcurrentDictionary<RoomId, (string Reason, long Until)> _refusedBy = new();

    /// <summary>New connections to a peer whose hello failed ambiguously (closed, no answer), in a row.</summary>
    private readonly ConcurrentDictionary<RoomId, int> _unprovenDials = new();

    /// <summary>Why a dialled peer's certificate is not its room's relay, or null when it is (see <see cref="RelayNode.PeerIdentity"/>).</summary>
    public Func<RoomId, System.Security.Cryptography.X509Certificates.X509Certificate?, string?>? PeerIdentity { get; set; }

    /// <summary>A peer's data connection was refused (false) or works again (true).</summary>
    public event Action<RoomId, bool>? DataLinkChanged;

    /// <summary>Whether the data connection to <paramref name="peer"/>'s relay works (or has not been tried): false after a refusal, until a connection is proven.</summary>
    public bool CanCarryTo(RoomId peer) => !_refusedBy.TryGetValue(peer, out var refusal) || relay.Time.GetTimestamp() >= refusal.Until;

    /// <summary>Peers whose data connection is refused now, and why.</summary>
    public IReadOnlyDictionary<RoomId, string> RefusedPeers => _refusedBy.Where(r => !CanCarryTo(r.Key)).ToDictionary(r => r.Key, r => r.Value.Reason);

    /// <summary>
    /// A new stream to the room's relay over the connection kept to it; a connection that has died since
    /// (the peer restarted, the network broke) is replaced once before the room counts as unreachable.
    /// </summary>
    /// <exception cref="PeerUnreachableException">No endpoint is known for the room, or its relay cannot be reached.</exception>
    public async Task<Stream> OpenStreamAsync(RoomId room, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var endpoint = endpoints(room) ?? throw new PeerUnreachableException(room, $"No endpoint is known for room {room}.", null);
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
    public void Drop(RoomId room)
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
    public async Task WarmAsync(IEnumerable<RoomId> peers, TimeSpan? patience, CancellationToken cancellationToken)
    {
        var dials = Task.WhenAll(peers.Select(async peer =>
        {
            if (endpoints(peer) is not { } endpoint)
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

    private Lazy<Task<IRelayConnection>> Dial(RoomId room, EndPoint endpoint) => new(() => ConnectAsync(room, endpoint));

    private async Task<IRelayConnection> ConnectAsync(RoomId room, EndPoint endpoint)
    {
        IRelayConnection connection;
        try
        {
            connection = await transport.ConnectAsync(endpoint, relay.Stopping).ConfigureAwait(false);
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            Refused(room, $"the TLS handshake failed: {e.Message}"); // this relay refused the peer's certificate
            throw;
        }

        if (PeerIdentity?.Invoke(room, connection.RemoteCertificate) is { } impostor)
        {
            Refused(room, impostor);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new System.Security.Authentication.AuthenticationException(impostor);
        }

        // Proven in the background: the first flow on a fresh connection does not wait for the hello.
        _ = Task.Run(() => ProveAsync(room, connection), CancellationToken.None);
        return connection;
    }

    /// <summary>
    /// One round trip on a new connection: the peer answers a hello only if it accepted this relay's
    /// certificate (with TLS 1.3 a server refuses the client's certificate after the client's handshake has
    /// completed, so the dialler learns it only when the connection closes under its first stream).
    /// </summary>
    private async Task ProveAsync(RoomId room, IRelayConnection connection)
    {
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
            _unprovenDials.TryRemove(room, out _);
            if (_refusedBy.TryRemove(room, out _))
            {
                Log.PeerAccepted(relay.Logger, relay.Room, room);
                DataLinkChanged?.Invoke(room, true);
            }

            return;
        }

        if (certain || closed)
        {
            Drop(room); // the next use, or the warm-keeper's next round, dials and proves afresh
        }

        if (certain || _unprovenDials.AddOrUpdate(room, 1, (_, n) => n + 1) >= 2)
        {
            Refused(room, failure); // twice in a row: a peer killed during one hello cannot answer the next dial at all
        }
    }

    private void Refused(RoomId room, string reason)
    {
        var wasUsable = CanCarryTo(room);
        var known = _refusedBy.TryGetValue(room, out var before) && before.Reason == reason;
        _refusedBy[room] = (reason, relay.Time.GetTimestamp() + (long)(RefusalHold.TotalSeconds * relay.Time.TimestampFrequency));
        relay.Metrics.PeerRefusedData();
        if (!known)
        {
            Log.PeerRefused(relay.Logger, relay.Room, room, reason); // once per peer and reason: a refusing peer is re-dialled every few seconds
        }

        if (wasUsable)
        {
            DataLinkChanged?.Invoke(room, false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Relay {Room}: the data connection to {Peer} is refused: {Reason}. The link is reported down and avoided until a connection works")]
        public static partial void PeerRefused(ILogger logger, RoomId room, RoomId peer, string reason);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Relay {Room}: the data connection to {Peer} works again")]
        public static partial void PeerAccepted(ILogger logger, RoomId room, RoomId peer);
    }
}
