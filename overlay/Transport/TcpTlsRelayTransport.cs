using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Msdn.Overlay.Transport.Mux;

namespace Msdn.Overlay.Transport;

/// <summary>
/// TCP + mutual TLS 1.3 (ALPN <c>msdn/1</c>) with the relay's own stream multiplexing: the fallback where
/// QUIC is unavailable, and what runs on this machine. Peers whose certificate the policy refuses never
/// become connections.
/// </summary>
public sealed class TcpTlsRelayTransport(RelayTransportOptions options) : IRelayTransport
{
    public string Name => "tcp+tls";

    public bool IsSupported => true;

    public Task<IRelayListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var listener = new TcpListener(endpoint);
        listener.Start();
        return Task.FromResult<IRelayListener>(new Listener(listener, options));
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
                    ClientCertificates = [options.Certificate],
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [RelayTransportOptions.Alpn],
                    RemoteCertificateValidationCallback = options.Peers.Validate,
                },
                timeout.Token).ConfigureAwait(false);
            return new MuxConnection(tls, isClient: true, endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class Listener(TcpListener listener, RelayTransportOptions options) : IRelayListener
    {
        public EndPoint LocalEndPoint => listener.LocalEndpoint;

        private long _refused;

        public long Refused => Interlocked.Read(ref _refused);

        public async ValueTask<IRelayConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                socket.NoDelay = true;
                var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(options.HandshakeTimeout);
                    await tls.AuthenticateAsServerAsync(
                        new SslServerAuthenticationOptions
                        {
                            ServerCertificate = options.Certificate,
                            ClientCertificateRequired = true,
                            EnabledSslProtocols = SslProtocols.Tls13,
                            ApplicationProtocols = [RelayTransportOptions.Alpn],
                            RemoteCertificateValidationCallback = options.Peers.Validate,
                        },
                        timeout.Token).ConfigureAwait(false);
                    return new MuxConnection(tls, isClient: false, socket.RemoteEndPoint!);
                }
                catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _refused);
                    await tls.DisposeAsync().ConfigureAwait(false); // refused: nothing it sent goes anywhere
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            listener.Stop();
            listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
