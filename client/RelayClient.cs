using System.Net;
using System.Net.Sockets;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;

namespace Msdn.Client;

/// <summary>
/// The media engine's side of a relay's client port: open a flow and write to it, or subscribe to an
/// endpoint and read the flows that arrive. Refusals surface as <see cref="RelayClientException"/>.
/// </summary>
public static class RelayClient
{
    /// <summary>Opens a flow to <paramref name="endpoint"/> in <paramref name="destination"/> through the relay at <paramref name="relay"/>.</summary>
    public static async Task<ClientFlow> OpenAsync(EndPoint relay, string token, RoomId destination, string endpoint, CancellationToken cancellationToken = default)
    {
        var (frames, accepted) = await HelloAsync(relay, new ClientHello(token, ClientOperation.Open, destination.Value, endpoint), cancellationToken).ConfigureAwait(false);
        return new ClientFlow(frames, accepted.FlowId);
    }

    /// <summary>Receives the flows that arrive for <paramref name="endpoint"/> in the relay's room.</summary>
    public static async Task<ClientSubscription> SubscribeAsync(EndPoint relay, string token, string endpoint, CancellationToken cancellationToken = default)
    {
        var (frames, _) = await HelloAsync(relay, new ClientHello(token, ClientOperation.Subscribe, string.Empty, endpoint), cancellationToken).ConfigureAwait(false);
        return new ClientSubscription(frames);
    }

    private static async Task<(FrameStream Frames, Frame Accepted)> HelloAsync(EndPoint relay, ClientHello hello, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(relay, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var frames = new FrameStream(new NetworkStream(socket, ownsSocket: true), FrameLimits.Default);
        try
        {
            await frames.WriteAsync(Frame.Hello(hello), cancellationToken).ConfigureAwait(false);
            var answer = await frames.ReadAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException("The relay closed the connection without answering.");
            return answer.Frame switch
            {
                { Kind: FrameKind.Ack } accepted => (frames, accepted),
                { Control: CloseFlow refused } => throw new RelayClientException(refused.Reason),
                var other => throw new FrameFormatException($"The relay answered a Hello with a {other.Kind} frame."),
            };
        }
        catch
        {
            await frames.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
