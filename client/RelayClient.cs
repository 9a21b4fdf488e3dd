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
    public static Task<ClientFlow> OpenAsync(EndPoint relay, string token, RoomId destination, string endpoint, CancellationToken cancellationToken = default) =>
        OpenAsync([relay], token, destination, endpoint, cancellationToken);

    /// <summary>
    /// Opens a flow to <paramref name="endpoint"/> in <paramref name="destination"/> through the first of <paramref name="relays"/>
    /// (the relays of this room, as the path lookup lists them) that takes it; when that relay dies, the flow resumes at the others.
    /// </summary>
    public static Task<ClientFlow> OpenAsync(IReadOnlyList<EndPoint> relays, string token, RoomId destination, string endpoint, CancellationToken cancellationToken = default) =>
        new FlowIntroduction(relays, token, destination, endpoint).OpenAsync(cancellationToken);

    /// <summary>Receives the flows that arrive for <paramref name="endpoint"/> in the relay's room.</summary>
    public static Task<ClientSubscription> SubscribeAsync(EndPoint relay, string token, string endpoint, CancellationToken cancellationToken = default) =>
        SubscribeAsync([relay], token, endpoint, cancellationToken);

    /// <summary>
    /// Receives the flows that arrive for <paramref name="endpoint"/> in this room, through every one of <paramref name="relays"/>
    /// (the room's relays, as the path lookup lists them) that takes the subscription: each flow arrives at one of them, and
    /// goes on through another when that one dies. Fails only when none takes it (with the first one's reason); a relay
    /// that did not take it, or whose connection breaks later, is dialled again (see <see cref="ClientSubscription"/>).
    /// </summary>
    public static Task<ClientSubscription> SubscribeAsync(IReadOnlyList<EndPoint> relays, string token, string endpoint, CancellationToken cancellationToken = default) =>
        SubscribeAsync(relays, token, endpoint, ClientSubscription.ReconnectPatience, cancellationToken);

    /// <param name="reconnectPatience">How long the subscription dials its relays, none connected, before it ends.</param>
    internal static async Task<ClientSubscription> SubscribeAsync(IReadOnlyList<EndPoint> relays, string token, string endpoint, TimeSpan reconnectPatience, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relays);
        if (relays.Count == 0)
        {
            throw new ArgumentException("A subscription needs at least one relay.", nameof(relays));
        }

        var hello = new ClientHello(token, ClientOperation.Subscribe, string.Empty, endpoint);
        var attempts = relays.Select(async relay => (Relay: relay, Taken: await IntroduceAsync(relay, hello, keepAlive: true, cancellationToken).ConfigureAwait(false))).ToArray();
        try
        {
            await Task.WhenAll(attempts).ConfigureAwait(false);
        }
        catch (Exception) when (attempts.Any(a => a.IsCompletedSuccessfully))
        {
            // Some relays of the room did not take it (down, draining): the others carry the subscription, and those are dialled again.
        }
        catch (Exception)
        {
            // None took it: the first one's reason is the subscriber's.
            await attempts[0].ConfigureAwait(false);
            throw;
        }

        return new ClientSubscription(hello, [.. attempts.Select((a, i) => (relays[i], a.IsCompletedSuccessfully ? a.Result.Taken.Frames : null))], reconnectPatience);
    }

    /// <summary>
    /// Connects to <paramref name="relay"/> and says <paramref name="hello"/>: the connection and the relay's answer (its refusal
    /// throws <see cref="RelayClientException"/>). With <paramref name="keepAlive"/>, a relay whose host vanished without
    /// closing the connection is noticed within about four seconds of silence (TCP keep-alive), so a flow can resume elsewhere.
    /// </summary>
    internal static async Task<(FrameStream Frames, Frame Accepted)> IntroduceAsync(EndPoint relay, ClientHello hello, bool keepAlive, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (keepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 1);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }

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
                { Kind: FrameKind.Ack or FrameKind.Accepted } accepted => (frames, accepted),
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
