using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Msdn.Overlay.Security;

namespace Msdn.Overlay.Transport;

/// <summary>What both transports need: this relay's identity (its certificate now), which peers to trust, the ALPN, and the limits.</summary>
internal sealed record RelayTransportOptions(RelayIdentity Identity, PeerCertificatePolicy Peers)
{
    /// <summary>A fixed certificate (tests, benchmarks).</summary>
    public RelayTransportOptions(X509Certificate2 certificate, PeerCertificatePolicy peers)
        : this(new RelayIdentity(certificate), peers)
    {
    }

    public static readonly SslApplicationProtocol Alpn = new("msdn/1");

    /// <summary>A peer that has not completed its handshake by then is dropped (and counted as refused).</summary>
    /// <remarks>A TLS 1.3 handshake with client certificates takes two round trips: well under a second between any two rooms.</remarks>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// TCP: handshakes in progress at once; the next connection waits in the kernel's backlog until one ends.
    /// Each runs on its own, so a silent stranger holds one slot for at most <see cref="HandshakeTimeout"/>
    /// and never a peer's handshake. (QUIC's handshakes are MsQuic's, concurrent already.)
    /// </summary>
    public int MaxConcurrentHandshakes { get; init; } = 256;

    /// <summary>
    /// TCP: handshakes in progress at once from one remote address; past it a connection is closed at once,
    /// so one stranger cannot take the slots peers need (a peer relay makes one connection at a time).
    /// </summary>
    public int MaxHandshakesPerAddress { get; init; } = 8;

    /// <summary>
    /// A connection that hears nothing (not even a keep-alive) for this long is closed, on both transports. A
    /// killed QUIC peer sends no close (UDP has no reset), and a cut link or a dead host leaves a TCP connection
    /// open until the kernel gives up minutes later: this is how such a connection ends, failing its streams,
    /// and the warm-keeper dials again. It does not decide failover (missing acks and the probe agent do,
    /// within a second).
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Pings on an idle connection (QUIC PINGs; empty multiplexer frames over TCP), well inside <see cref="IdleTimeout"/> so a live one never times out.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// QUIC: streams a peer may have open on one connection at once (a relay opens one per flow and per
    /// control exchange). MsQuic's default of 100 would make the 101st flow to a peer wait for another to end.
    /// </summary>
    public int MaxStreamsPerConnection { get; init; } = 10_000;

    /// <summary>
    /// QUIC: each stream's initial receive window, as the TCP transport's multiplexer grants (1 MiB), so one flow
    /// on a long link is not held to 64 KiB per round trip while the window grows.
    /// </summary>
    public int StreamReceiveWindow { get; init; } = Mux.MuxLimits.InitialWindow;
}
