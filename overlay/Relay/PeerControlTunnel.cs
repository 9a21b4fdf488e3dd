using System.Buffers;
using MessagePack;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Control;

namespace Msdn.Overlay.Relay;

/// <summary>
/// The control tunnel over the overlay: a relay that cannot reach the controller sends its control exchange
/// to a peer relay (a stream opened to the <see cref="ControlEndpoint"/>), and the peer sends it on.
/// </summary>
internal sealed class PeerControlTunnel(RelayContext relay, PeerConnections peers)
{
    /// <summary>The reserved endpoint of the control tunnel; no media flow may use it.</summary>
    public const string ControlEndpoint = "$control";

    /// <summary>How this relay sends a peer's tunnelled exchange on to the controller; null when it has no controller.</summary>
    public Func<TunnelRequest, CancellationToken, Task<TunnelResponse>>? ControlProxy { get; set; }

    /// <summary>Carries one control exchange through <paramref name="peer"/>'s relay.</summary>
    public async Task<TunnelResponse> TunnelAsync(RoomId peer, TunnelRequest request, CancellationToken cancellationToken)
    {
        var stream = await peers.OpenStreamAsync(peer, cancellationToken).ConfigureAwait(false);
        await using var frames = new FrameStream(stream, FrameLimits.Default);
        await frames.WriteAsync(Frame.Open(new OpenFlow(0, relay.Room.Value, peer.Value, ControlEndpoint, [relay.Room.Value, peer.Value], 0)), cancellationToken).ConfigureAwait(false);
        // Encoded without the token: MessagePack reports a cancellation as a serialization error, which the control
        // loops would take for a broken exchange format rather than an exchange given up (it killed the directory loop
        // of a relay stopping mid-encode); the writes around it observe the token.
        var encoded = MessagePackSerializer.Serialize(request, ControlTunnel.Options, CancellationToken.None);
        await WritePiecesAsync(frames, encoded, cancellationToken).ConfigureAwait(false);
        var answer = await ReadPiecesAsync(frames, cancellationToken).ConfigureAwait(false);
        return Deserialize<TunnelResponse>(answer);
    }

    public async Task ServeAsync(FrameStream frames)
    {
        if (ControlProxy is not { } proxy)
        {
            await frames.WriteAsync(Frame.Close(new CloseFlow(0, $"relay {relay.Room} has no controller to reach")), relay.Stopping).ConfigureAwait(false);
            return;
        }

        var request = Deserialize<TunnelRequest>(await ReadPiecesAsync(frames, relay.Stopping).ConfigureAwait(false));
        if (!ControlTunnel.IsAllowed(request))
        {
            throw new FrameFormatException($"The control tunnel carries only reports, route fetches and directory fetches, not {request.Method} {request.PathAndQuery}.");
        }

        TunnelResponse response;
        try
        {
            response = await proxy(request, relay.Stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await frames.WriteAsync(Frame.Close(new CloseFlow(0, $"relay {relay.Room} cannot reach the controller either: {e.Message}")), relay.Stopping).ConfigureAwait(false);
            return;
        }

        await WritePiecesAsync(frames, MessagePackSerializer.Serialize(response, ControlTunnel.Options, relay.Stopping), relay.Stopping).ConfigureAwait(false);
    }

    /// <summary>A message as Data frames of at most <see cref="ControlTunnel.PieceBytes"/>, then a Close marking its end.</summary>
    private static async Task WritePiecesAsync(FrameStream frames, byte[] message, CancellationToken cancellationToken)
    {
        ulong piece = 0;
        for (var at = 0; at < message.Length; at += ControlTunnel.PieceBytes)
        {
            var length = Math.Min(ControlTunnel.PieceBytes, message.Length - at);
            await frames.WriteAsync(Frame.Data(0, piece++, new ReadOnlySequence<byte>(message, at, length)), cancellationToken).ConfigureAwait(false);
        }

        await frames.WriteAsync(Frame.Close(new CloseFlow(0, "end")), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadPiecesAsync(FrameStream frames, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        while (await frames.ReadAsync(cancellationToken).ConfigureAwait(false) is { } read)
        {
            if (read.Frame.Control is CloseFlow close)
            {
                return close.Reason == "end" ? message.ToArray() : throw new ControlChannelException(close.Reason);
            }

            if (!read.Frame.IsData || message.Length + read.Payload.Length > ControlTunnel.MaxMessageBytes)
            {
                throw new FrameFormatException("A control tunnel message must be Data frames within its size limit, then a Close.");
            }

            message.Write(read.Payload.Span);
        }

        throw new ControlChannelException("The control tunnel closed mid-message.");
    }

    private static T Deserialize<T>(byte[] bytes)
    {
        try
        {
            return MessagePackSerializer.Deserialize<T>(bytes, ControlTunnel.Options) ?? throw new FrameFormatException($"An empty {typeof(T).Name}.");
        }
        catch (MessagePackSerializationException e)
        {
            throw new FrameFormatException($"A malformed {typeof(T).Name}: {e.Message}", e);
        }
    }
}
