using System.Net;
using System.Net.Sockets;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Ports on 127.0.0.1 for what cannot bind port 0 and report: an Orleans silo (it must be told its port) and relays
/// whose peers are given a static list before they start. A silo gets a fixed port, outside the range the system
/// hands out for port 0, and its caller starts it again on the next one when told the address is in use. Relay
/// ports for static peer lists (tests only) are found free, then released: another process may take one meanwhile;
/// relays that join through the controller bind port 0 and are found through its directory instead. The tests
/// link this file.
/// </summary>
internal static class LoopbackPorts
{
    /// <summary>Silo ports: this process's block of eight in 20000–27999, below Linux's ephemeral range (32768 on).</summary>
    private const int SiloPortBase = 20000;

    private static readonly HashSet<int> Given = [];
    private static int _silos;

    /// <summary>The next fixed port for an Orleans silo of this process (taken in turn: a caller told it is in use asks again).</summary>
    public static int Silo() => SiloPortBase + (Environment.ProcessId % 1000 * 8) + (Interlocked.Increment(ref _silos) % 8);

    /// <summary>A free TCP port.</summary>
    private static int Free()
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
