using System.Net;
using System.Net.Sockets;

namespace Msdn.Probe.Transport;

/// <summary>A UDP socket bound to one local endpoint.</summary>
public sealed class UdpProbeSocket : IProbeSocket
{
    private readonly Socket _socket;
    private readonly IPEndPoint _anyRemote;

    public UdpProbeSocket(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(bind);
        LocalEndPoint = _socket.LocalEndPoint!;
        _anyRemote = new IPEndPoint(bind.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    public EndPoint LocalEndPoint { get; }

    public void Send(ReadOnlySpan<byte> datagram, EndPoint destination)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, destination);
        }
        catch (SocketException)
        {
            // Unreachable peer, full buffer: the datagram is lost, which is what probes measure.
        }
        catch (ObjectDisposedException)
        {
            // Sent after close (a delayed send of an impairment, a timer racing shutdown): lost too.
        }
    }

    public async ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyRemote, cancellationToken).ConfigureAwait(false);
                return new ReceivedDatagram(result.ReceivedBytes, result.RemoteEndPoint);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // An ICMP error for an earlier send, or an oversized datagram: not ours to measure; keep listening.
            }
            catch (ObjectDisposedException)
            {
                throw new OperationCanceledException("The probe socket was closed.");
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
