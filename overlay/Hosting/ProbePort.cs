using System.Net;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Where a relay's probe agent listens: UDP on the port after the relay's (P + 1, as RTCP sits beside RTP),
/// whatever the transport. QUIC needs the relay's own port for itself on UDP, so probes cannot share it,
/// and keeping one rule for both transports means a peer's entry (host:port) says where to probe it
/// without knowing which transport that relay runs. Probes stay outside the relay connection on purpose:
/// they measure the path's raw loss and delay, which a reliable QUIC stream would hide behind its
/// retransmissions (and System.Net.Quic has no unreliable datagrams to carry them).
/// </summary>
internal static class ProbePort
{
    /// <summary>The probe endpoint of a peer relay reached at <paramref name="relay"/>.</summary>
    public static EndPoint Of(EndPoint relay) => relay switch
    {
        IPEndPoint ip => new IPEndPoint(ip.Address, Next(ip.Port)),
        DnsEndPoint dns => new DnsEndPoint(dns.Host, Next(dns.Port), dns.AddressFamily),
        _ => throw new ArgumentException($"{relay} is not a host:port endpoint.", nameof(relay)),
    };

    /// <summary>
    /// Where this relay's probe agent binds: the listen address at the bound relay port + 1; an ephemeral
    /// port when the relay itself was asked for one (port 0: tests), since the next port may be taken.
    /// </summary>
    public static IPEndPoint Bind(IPEndPoint listen, IPEndPoint bound)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(bound);
        return new IPEndPoint(listen.Address, listen.Port == 0 ? 0 : Next(bound.Port));
    }

    private static int Next(int port) =>
        port < IPEndPoint.MaxPort ? port + 1 : throw new ArgumentOutOfRangeException(nameof(port), port, "A relay port must leave the next port for its probes.");
}
