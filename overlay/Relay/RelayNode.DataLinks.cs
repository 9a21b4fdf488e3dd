using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// Whether each peer's relay takes this relay's data, not just its probes. Probes are UDP with the cluster's
/// HMAC key; data connections are TLS with certificates each side must trust. A peer that does not trust
/// this relay's certificate (or whose certificate this relay does not trust) answers probes while refusing
/// every flow, so each new connection is proven with a hello exchange, and a link whose connection is
/// refused is reported down with the probes' figures and avoided as a first hop until a connection works.
/// </summary>
public sealed partial class RelayNode
{
    /// <summary>The reserved endpoint a new connection's hello goes to; no media flow may use it.</summary>
    public const string HelloEndpoint = "$hello";

    /// <summary>Peers whose last connection was refused, with why and until when (absent: usable, or not tried yet).</summary>
    private readonly ConcurrentDictionary<RoomId, (string Reason, long Until)> _refusedBy = new();

    /// <summary>
    /// How long a refusal stands without a new one. A peer that dies during the hello looks like one that
    /// refused; a peer that really refuses is refused again by the warm-keeper's next dial, well within this.
    /// </summary>
    public static readonly TimeSpan RefusalHold = TimeSpan.FromSeconds(5);

    /// <summary>New connections to a peer whose hello failed ambiguously (closed, no answer), in a row.</summary>
    private readonly ConcurrentDictionary<RoomId, int> _unprovenDials = new();

    /// <summary>A peer's data connection was refused (false) or works again (true): the controller hears of it at once.</summary>
    public event Action<RoomId, bool>? DataLinkChanged;

    /// <summary>Whether the data connection to <paramref name="peer"/>'s relay works (or has not been tried): false after a refusal, until a connection is proven.</summary>
    public bool CanCarryTo(RoomId peer) => !_refusedBy.TryGetValue(peer, out var refusal) || _time.GetTimestamp() >= refusal.Until;

    /// <summary>Peers whose data connection is refused now, and why.</summary>
    public IReadOnlyDictionary<RoomId, string> RefusedPeers => _refusedBy.Where(r => !CanCarryTo(r.Key)).ToDictionary(r => r.Key, r => r.Value.Reason);

    private Lazy<Task<IRelayConnection>> Dial(RoomId room, EndPoint endpoint) => new(() => ConnectAsync(room, endpoint));

    private async Task<IRelayConnection> ConnectAsync(RoomId room, EndPoint endpoint)
    {
        IRelayConnection connection;
        try
        {
            connection = await _transport.ConnectAsync(endpoint, _stopping.Token).ConfigureAwait(false);
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            Refused(room, $"the TLS handshake failed: {e.Message}"); // this relay refused the peer's certificate
            throw;
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
        try
        {
            using var deadline = Within(_options.PathSetupTimeout);
            var frames = new FrameStream(await connection.OpenStreamAsync(deadline.Token).ConfigureAwait(false), FrameLimits.Default);
            try
            {
                await frames.WriteAsync(Frame.Open(new OpenFlow(0, Room.Value, room.Value, HelloEndpoint, [Room.Value, room.Value], 0)), deadline.Token).ConfigureAwait(false);
                if (await frames.ReadAsync(deadline.Token).ConfigureAwait(false) is not { Frame.Control: CloseFlow { Delivered: true } })
                {
                    failure = "its relay closed the connection after the handshake: it does not trust this relay's certificate";
                }
            }
            finally
            {
                await frames.CloseAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
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
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            failure = $"its relay did not answer a hello within {_options.PathSetupTimeout.TotalMilliseconds:F0} ms";
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
                Log.PeerAccepted(_logger, Room, room);
                DataLinkChanged?.Invoke(room, true);
            }

            return;
        }

        if (certain || closed)
        {
            DropConnection(room); // the next use, or the warm-keeper's next round, dials and proves afresh
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
        _refusedBy[room] = (reason, _time.GetTimestamp() + (long)(RefusalHold.TotalSeconds * _time.TimestampFrequency));
        Metrics.PeerRefusedData();
        if (!known)
        {
            Log.PeerRefused(_logger, Room, room, reason); // once per peer and reason: a refusing peer is re-dialled every few seconds
        }

        if (wasUsable)
        {
            DataLinkChanged?.Invoke(room, false);
        }
    }

    /// <summary>A peer's hello: answered at once, proving to the dialler that this relay accepted its certificate.</summary>
    private Task AnswerHelloAsync(FrameStream frames, OpenFlow open) =>
        SayLastAsync(frames, new CloseFlow(open.FlowId, "hello", Delivered: true));
}
