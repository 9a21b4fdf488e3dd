using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Msdn.Overlay.Security;

namespace Msdn.Overlay.Transport;

/// <summary>What both transports need: this relay's certificate, which peers to trust, the ALPN.</summary>
public sealed record RelayTransportOptions(X509Certificate2 Certificate, PeerCertificatePolicy Peers)
{
    public static readonly SslApplicationProtocol Alpn = new("msdn/1");

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
