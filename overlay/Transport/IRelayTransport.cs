using System.Net;

namespace Msdn.Overlay.Transport;

/// <summary>
/// How relays reach each other: authenticated connections carrying many independent bidirectional
/// streams (one per flow and one for control). QUIC where the machine supports it
/// (<see cref="QuicRelayTransport"/>), TCP + TLS 1.3 with its own stream multiplexing otherwise
/// (<see cref="TcpTlsRelayTransport"/>). One conformance suite runs against each.
/// </summary>
public interface IRelayTransport
{
    string Name { get; }

    /// <summary>False where the platform lacks what the transport needs (libmsquic for QUIC).</summary>
    bool IsSupported { get; }

    Task<IRelayListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken);

    Task<IRelayConnection> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken);
}

public interface IRelayListener : IAsyncDisposable
{
    EndPoint LocalEndPoint { get; }

    /// <summary>Connections refused at the handshake so far (unknown, expired or certificate-less peers, wrong ALPN, timeouts).</summary>
    long Refused { get; }

    /// <summary>The next authenticated connection; peers that fail authentication never get here.</summary>
    ValueTask<IRelayConnection> AcceptAsync(CancellationToken cancellationToken);

    /// <summary>Whether the listener's own accepting works (a transport that cannot tell says null).</summary>
    ListenerHealth? Health => null;
}

public interface IRelayConnection : IAsyncDisposable
{
    EndPoint RemoteEndPoint { get; }

    /// <summary>The certificate the peer authenticated with (null where the transport has none, as in tests' in-process pipes).</summary>
    System.Security.Cryptography.X509Certificates.X509Certificate? RemoteCertificate { get; }

    /// <summary>A new bidirectional stream; disposing it (or <see cref="Stream.Flush"/> after the last write is not enough) ends the writing side.</summary>
    ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken);

    ValueTask<Stream> AcceptStreamAsync(CancellationToken cancellationToken);
}
