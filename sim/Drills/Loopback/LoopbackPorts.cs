namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Fixed ports on 127.0.0.1 for what cannot bind port 0 and report: an Orleans silo (it must be told its port) and relays
/// whose peers are given a static list before they start (tests only; relays that join through the controller bind
/// port 0 and are found through its directory). Each process takes its own block, outside the range the system hands
/// out for port 0 (32768 on), in turn: nothing is probed and released for another process to take meanwhile, and a
/// port somebody else holds shows as an address-in-use error when it is bound. The tests link this file.
/// </summary>
internal static class LoopbackPorts
{
    /// <summary>Silo ports: this process's block of eight in 20000–27999.</summary>
    private const int SiloPortBase = 20000;

    /// <summary>Relay ports: this process's block of 32 (16 pairs) in 28000–31999.</summary>
    private const int RelayPortBase = 28000;
    private const int RelayPairs = 16;

    private static int _silos;
    private static int _relays;

    /// <summary>The next fixed port for an Orleans silo of this process (taken in turn: a caller told it is in use asks again).</summary>
    public static int Silo() => SiloPortBase + (Environment.ProcessId % 1000 * 8) + (Interlocked.Increment(ref _silos) % 8);

    /// <summary>
    /// The next fixed port P for a relay of either transport (TCP + TLS or QUIC on P, its probe agent on UDP P + 1):
    /// this process's pairs in turn, so up to 16 relays of the process hold distinct ones at once.
    /// </summary>
    public static int RelayPort() => RelayPortBase + (Environment.ProcessId % 125 * RelayPairs * 2) + (Interlocked.Increment(ref _relays) % RelayPairs * 2);
}
