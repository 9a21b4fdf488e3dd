using System.Net;
using System.Net.Sockets;

namespace Msdn.Overlay.Tests.Transport;

/// <summary>
/// A UDP relay for one client on 127.0.0.1 that can go silent: while cut, every datagram both ways is
/// dropped, as when a QUIC peer's host dies or the network between breaks (nothing errors, nothing answers).
/// </summary>
internal sealed class UdpCutProxy : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _forward;
    private readonly Task _backward;
    private EndPoint? _client;
    private volatile bool _cut;

    public UdpCutProxy(EndPoint server)
    {
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Connect(server);
        _forward = Task.Run(ForwardAsync);
        _backward = Task.Run(BackwardAsync);
    }

    public EndPoint LocalEndPoint => _front.LocalEndPoint!;

    public void Cut() => _cut = true;

    private async Task ForwardAsync()
    {
        var buffer = new byte[65_536];
        try
        {
            while (true)
            {
                var received = await _front.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                _client = received.RemoteEndPoint;
                if (!_cut)
                {
                    await _back.SendAsync(buffer.AsMemory(0, received.ReceivedBytes), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task BackwardAsync()
    {
        var buffer = new byte[65_536];
        try
        {
            while (true)
            {
                var length = await _back.ReceiveAsync(buffer, _stop.Token);
                if (!_cut && _client is { } client)
                {
                    await _front.SendToAsync(buffer.AsMemory(0, length), client, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        _back.Dispose();
        await Task.WhenAll(_forward, _backward);
        _stop.Dispose();
    }
}
