using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Security.Authentication;

namespace Msdn.Overlay.Transport;

/// <summary>
/// QUIC (System.Net.Quic, ALPN <c>msdn/1</c>, mutual TLS 1.3): needs libmsquic on Linux; where
/// <see cref="IsSupported"/> is false the relay uses <see cref="TcpTlsRelayTransport"/>. MsQuic runs
/// handshakes concurrently and off the accept path, so a stranger's slow or failed handshake never
/// holds up a peer's; failed ones are counted in <see cref="IRelayListener.Refused"/> and skipped.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicRelayTransport(RelayTransportOptions options) : IRelayTransport
{
    public string Name => "quic";

    public bool IsSupported => QuicConnection.IsSupported && QuicListener.IsSupported;

    public async Task<IRelayListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var listener = await QuicListener.ListenAsync(
            new QuicListenerOptions
            {
                ListenEndPoint = endpoint,
                ApplicationProtocols = [RelayTransportOptions.Alpn],
                ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(Limits(new QuicServerConnectionOptions
                {
                    DefaultStreamErrorCode = 1,
                    DefaultCloseErrorCode = 1,
                    ServerAuthenticationOptions = new SslServerAuthenticationOptions
                    {
                        ServerCertificate = options.Identity.Certificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls13,
                        ApplicationProtocols = [RelayTransportOptions.Alpn],
                        RemoteCertificateValidationCallback = options.Peers.Validate,
                    },
                })),
            },
            cancellationToken).ConfigureAwait(false);
        return new Listener(listener);
    }

    public async Task<IRelayConnection> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var connection = await QuicConnection.ConnectAsync(
            Limits(new QuicClientConnectionOptions
            {
                RemoteEndPoint = endpoint,
                DefaultStreamErrorCode = 1,
                DefaultCloseErrorCode = 1,
                ClientAuthenticationOptions = new SslClientAuthenticationOptions
                {
                    TargetHost = "msdn-relay",
                    ClientCertificates = [options.Identity.Certificate],
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [RelayTransportOptions.Alpn],
                    RemoteCertificateValidationCallback = options.Peers.Validate,
                },
            }),
            cancellationToken).ConfigureAwait(false);
        return new Connection(connection);
    }

    private T Limits<T>(T connection)
        where T : QuicConnectionOptions
    {
        connection.HandshakeTimeout = options.HandshakeTimeout;
        connection.IdleTimeout = options.IdleTimeout;
        connection.KeepAliveInterval = options.KeepAliveInterval;
        connection.MaxInboundBidirectionalStreams = options.MaxStreamsPerConnection;
        connection.MaxInboundUnidirectionalStreams = 0; // relays never open one-way streams
        connection.InitialReceiveWindowSizes = new QuicReceiveWindowSizes
        {
            LocallyInitiatedBidirectionalStream = options.StreamReceiveWindow,
            RemotelyInitiatedBidirectionalStream = options.StreamReceiveWindow,
        };
        return connection;
    }

    private sealed class Listener(QuicListener listener) : IRelayListener
    {
        private long _refused;
        private volatile bool _disposed;

        public EndPoint LocalEndPoint => listener.LocalEndPoint;

        public long Refused => Interlocked.Read(ref _refused);

        public async ValueTask<IRelayConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    return new Connection(await listener.AcceptConnectionAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (Exception e) when (!_disposed && !cancellationToken.IsCancellationRequested && e is AuthenticationException or QuicException)
                {
                    // The listener surfaces each failed handshake here (a stranger's certificate, a wrong ALPN,
                    // a handshake that timed out); the next connection is unaffected.
                    Interlocked.Increment(ref _refused);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            return listener.DisposeAsync();
        }
    }

    private sealed class Connection(QuicConnection connection) : IRelayConnection
    {
        public EndPoint RemoteEndPoint => connection.RemoteEndPoint;

        public System.Security.Cryptography.X509Certificates.X509Certificate? RemoteCertificate => connection.RemoteCertificate;

        public async ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken) =>
            await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellationToken).ConfigureAwait(false);

        public async ValueTask<Stream> AcceptStreamAsync(CancellationToken cancellationToken) =>
            await connection.AcceptInboundStreamAsync(cancellationToken).ConfigureAwait(false);

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
