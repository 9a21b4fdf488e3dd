using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// The relay's port for peer relays: accepts their connections and streams, and hands each stream to what
/// its Open frame asks for — a hello, the control tunnel, a flow ending here (egress) or one passing on
/// (transit, if the relay takes new flows).
/// </summary>
internal sealed partial class PeerListener(RelayContext relay, IRelayTransport transport, RelayAdmission admission, PeerConnections peers, PeerControlTunnel tunnel, EgressDelivery egress, TransitSplice transit) : IAsyncDisposable
{
    /// <summary>Peer connections accepted and still open (each leaves when it ends: peers reconnect for months).</summary>
    private readonly ConcurrentDictionary<IRelayConnection, byte> _inbound = new();
    private IRelayListener? _listener;
    private Task? _accepting;

    /// <summary>Whether the peer port accepts connections now (its transport's own accepting, and handing them over).</summary>
    public ListenerHealth Health { get; } = new();

    /// <summary>Why the peer port is not accepting now; null while it is.</summary>
    public string? NotAccepting => _listener?.Health?.Failing ?? Health.Failing;

    /// <summary>Connections peer relays have open to this one now.</summary>
    public int InboundConnections => _inbound.Count;

    /// <summary>Peer connections refused at the handshake (strangers, expired or revoked peers).</summary>
    public long Refused => _listener?.Refused ?? 0;

    public EndPoint LocalEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("The relay is not started.");

    public async Task StartAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        var listener = await transport.ListenAsync(listen, cancellationToken).ConfigureAwait(false);
        _listener = listener;
        _accepting = Task.Run(() => AcceptLoopAsync(listener), CancellationToken.None);
        relay.Metrics.ObservePeersRefused(() => listener.Refused);
    }

    /// <summary>Stops accepting (the relay is stopping) and closes every accepted connection.</summary>
    public async ValueTask DisposeAsync()
    {
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
    }

    /// <summary>After an accept fails for a reason other than shutdown: long enough not to spin on a persistent error, short enough that peers barely notice.</summary>
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private async Task AcceptLoopAsync(IRelayListener listener)
    {
        while (!relay.IsStopping)
        {
            IRelayConnection connection;
            try
            {
                connection = await listener.AcceptAsync(relay.Stopping).ConfigureAwait(false);
                Health.Accepted();
            }
            catch (Exception) when (relay.IsStopping)
            {
                return; // shutting down (the listener stopped or was disposed under the loop), not a fault
            }
#pragma warning disable CA1031 // whatever one accept throws (descriptors exhausted, a transport's surprise), peers must still get in
            catch (Exception e)
#pragma warning restore CA1031
            {
                relay.Metrics.AcceptFailed();
                if (Health.Failed(e))
                {
                    Log.AcceptFailed(relay.Logger, relay.Room, e.GetType().Name, e.Message); // once per run of failures; each is counted
                }

                try
                {
                    await Task.Delay(AcceptRetryDelay, relay.Time, relay.Stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (relay.IsStopping)
            {
                await connection.DisposeAsync().ConfigureAwait(false); // accepted while shutting down
                return;
            }

            _inbound[connection] = 0;
            _ = Task.Run(() => ServeConnectionAsync(connection), CancellationToken.None);
        }
    }

    /// <summary>
    /// Closes every inbound connection whose peer is no longer trusted (removed from the directory, re-keyed):
    /// it authenticated when it connected, and trust can end while the connection lives.
    /// </summary>
    public int CloseUntrusted(Func<System.Security.Cryptography.X509Certificates.X509Certificate?, bool> trusted)
    {
        var closed = 0;
        foreach (var connection in _inbound.Keys)
        {
            if (connection.RemoteCertificate is { } certificate && !trusted(certificate) && _inbound.TryRemove(connection, out _))
            {
                closed++;
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
                    {
                        // Already broken.
                    }
                });
            }
        }

        return closed;
    }

    private async Task ServeConnectionAsync(IRelayConnection connection)
    {
        while (!relay.IsStopping)
        {
            Stream stream;
            try
            {
                stream = await connection.AcceptStreamAsync(relay.Stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                break;
            }

            _ = Task.Run(() => ServeStreamAsync(stream), CancellationToken.None);
        }

        // The connection ended (the peer closed it, died or was refused on the way) or the relay is stopping,
        // which disposes what is left itself.
        if (!relay.IsStopping && _inbound.TryRemove(connection, out _))
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
        var frames = new FrameStream(stream, FrameLimits.Handshake); // the first frame is an Open
        var endedWell = false; // only an exchange that ended well closes its stream gracefully; any other is reset
        try
        {
            (Frame Frame, ReadOnlyMemory<byte> Payload)? first;
            using (var opening = relay.Within(relay.Options.PathSetupTimeout)) // a stream that never says what it is for holds nothing for long
            {
                first = await frames.ReadAsync(opening.Token).ConfigureAwait(false);
            }

            if (first?.Frame.Control is not OpenFlow open)
            {
                throw new FrameFormatException("A relay stream must start with an Open frame.");
            }

            frames.Limits = FrameLimits.Default;
            if (open.Avoid is { Length: > AvoidedNodes.Max })
            {
                throw new FrameFormatException($"Flow {open.FlowId} asks to avoid {open.Avoid.Length} relays; at most {AvoidedNodes.Max} are passed over.");
            }

            var at = Array.IndexOf(open.Path, relay.Room.Value);
            if (at < 1)
            {
                throw new FrameFormatException($"Flow {open.FlowId}'s path {string.Join('>', open.Path)} does not pass {relay.Room} after its first room.");
            }

            if (at == open.Path.Length - 1 && open.Endpoint == PeerConnections.HelloEndpoint)
            {
                await peers.AnswerHelloAsync(frames, open).ConfigureAwait(false);
                endedWell = true;
            }
            else if (at == open.Path.Length - 1 && open.Endpoint == PeerControlTunnel.ControlEndpoint)
            {
                await tunnel.ServeAsync(frames).ConfigureAwait(false);
                endedWell = true;
            }
            else if (at == open.Path.Length - 1)
            {
                endedWell = await egress.ServeAsync(frames, open).ConfigureAwait(false);
            }
            else if (admission.TryAdmit())
            {
                try
                {
                    endedWell = await transit.ForwardAsync(frames, first.Value.Frame, new RoomId(open.Path[at + 1])).ConfigureAwait(false);
                }
                finally
                {
                    admission.FlowEnded();
                }
            }
            else
            {
                // Draining: the ingress hears which relay refused, and takes the same path through a sibling if the room has one, else another path.
                await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, $"relay {relay.Room} at {relay.NodeName} is {admission.State}", relay.Room.Value, Node: relay.NodeName)).ConfigureAwait(false);
                endedWell = true;
            }
        }
        catch (FrameFormatException e)
        {
            relay.Metrics.FrameRejected("malformed");
            Log.StreamEnded(relay.Logger, relay.Room, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            Log.StreamEnded(relay.Logger, relay.Room, e.Message);
        }
        finally
        {
            if (endedWell)
            {
                await frames.CloseAsync(relay.Options.CloseTimeout, relay.Time).ConfigureAwait(false);
            }
            else
            {
                frames.Abandon();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Relay {Room}: a stream ended: {Reason}")]
        public static partial void StreamEnded(ILogger logger, RoomId room, string reason);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Relay {Room}: accepting a peer connection failed ({Error}: {Reason}); accepting goes on")]
        public static partial void AcceptFailed(ILogger logger, RoomId room, string error, string reason);
    }
}
