using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Security.Authentication;

namespace Msdn.Overlay.Transport;

/// <summary>
/// QUIC (System.Net.Quic, ALPN <c>msdn/1</c>, mutual TLS 1.3): the production transport. Needs libmsquic
/// on Linux; where <see cref="IsSupported"/> is false the relay uses <see cref="TcpTlsRelayTransport"/>.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicRelayTransport(RelayTransportOptions options) : IRelayTransport
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
                ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(new QuicServerConnectionOptions
                {
                    DefaultStreamErrorCode = 1,
                    DefaultCloseErrorCode = 1,
                    ServerAuthenticationOptions = new SslServerAuthenticationOptions
                    {
                        ServerCertificate = options.Certificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls13,
                        ApplicationProtocols = [RelayTransportOptions.Alpn],
                        RemoteCertificateValidationCallback = options.Peers.Validate,
                    },
                }),
            },
            cancellationToken).ConfigureAwait(false);
        return new Listener(listener);
    }

    public async Task<IRelayConnection> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var connection = await QuicConnection.ConnectAsync(
            new QuicClientConnectionOptions
            {
                RemoteEndPoint = endpoint,
                DefaultStreamErrorCode = 1,
                DefaultCloseErrorCode = 1,
                ClientAuthenticationOptions = new SslClientAuthenticationOptions
                {
                    TargetHost = "msdn-relay",
                    ClientCertificates = [options.Certificate],
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [RelayTransportOptions.Alpn],
                    RemoteCertificateValidationCallback = options.Peers.Validate,
                },
            },
            cancellationToken).ConfigureAwait(false);
        return new Connection(connection);
    }

    private sealed class Listener(QuicListener listener) : IRelayListener
    {
        public EndPoint LocalEndPoint => listener.LocalEndPoint;

        public async ValueTask<IRelayConnection> AcceptAsync(CancellationToken cancellationToken) =>
            new Connection(await listener.AcceptConnectionAsync(cancellationToken).ConfigureAwait(false));

        public ValueTask DisposeAsync() => listener.DisposeAsync();
    }

    private sealed class Connection(QuicConnection connection) : IRelayConnection
    {
        public EndPoint RemoteEndPoint => connection.RemoteEndPoint;

        public async ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken) =>
            await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellationToken).ConfigureAwait(false);

        public async ValueTask<Stream> AcceptStreamAsync(CancellationToken cancellationToken) =>
            await connection.AcceptInboundStreamAsync(cancellationToken).ConfigureAwait(false);

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
