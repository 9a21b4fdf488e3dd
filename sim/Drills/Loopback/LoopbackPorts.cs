using System.Net;
using System.Net.Sockets;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Ports on 127.0.0.1 for what cannot bind port 0 and report: an Orleans silo (it must be told its port) and relays
/// whose peers are given a static list before they start. Found free, then released: another process may take one
/// meanwhile, so callers start again on another when told the address is in use; relays that join through the
/// controller bind port 0 and are found through its directory instead. The tests link this file.
/// </summary>
internal static class LoopbackPorts
{
    private static readonly HashSet<int> Given = [];

    /// <summary>A free TCP port.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>
    /// A port P for a relay of either transport: P free on TCP and UDP (TCP + TLS or QUIC), and P + 1 free
    /// on UDP (its probe agent); never P or P + 1 of a port this process handed out before (those are
    /// not bound yet while the relays are being configured).
    /// </summary>
    public static int FreeRelayPort()
    {
        while (true)
        {
            var port = Free();
            lock (Given)
            {
                if (port < IPEndPoint.MaxPort - 1 && !Given.Contains(port) && !Given.Contains(port + 1) && !Given.Contains(port - 1) && UdpFree(port) && UdpFree(port + 1))
                {
                    Given.Add(port);
                    Given.Add(port + 1);
                    return port;
                }
            }
        }
    }

    private static bool UdpFree(int port)
    {
        try
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
