using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Msdn.Overlay.Transport.Mux;

namespace Msdn.Overlay.Transport;

/// <summary>
/// TCP + mutual TLS 1.3 (ALPN <c>msdn/1</c>) with the relay's own stream multiplexing: the relays' default
/// transport (docs/transport.md). Peers whose certificate the policy refuses never become connections
/// (<see cref="TcpTlsListener"/>).
/// </summary>
internal sealed class TcpTlsRelayTransport(RelayTransportOptions options) : IRelayTransport
{
    public string Name => "tcp+tls";

    public bool IsSupported => true;

    public Task<IRelayListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var listener = new TcpListener(endpoint);
        listener.Start();
        return Task.FromResult<IRelayListener>(new TcpTlsListener(listener, options));
    }

    public async Task<IRelayConnection> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "msdn-relay",
                    ClientCertificates = [options.Identity.Certificate],
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [RelayTransportOptions.Alpn],
                    RemoteCertificateValidationCallback = options.Peers.Validate,
                },
                timeout.Token).ConfigureAwait(false);
            return new MuxConnection(tls, isClient: true, endpoint, MuxKeepAlive.From(options));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
