using System.Net;

namespace Msdn.Probe.Transport;

/// <summary>
/// A socket that can hand each datagram to a receiver synchronously as it arrives (the in-memory
/// network on a virtual clock), so a simulation processes it at exactly its virtual arrival time.
/// </summary>
public interface IDatagramPushSource
{
    void SetReceiver(DatagramReceiver receiver);
}

public delegate void DatagramReceiver(ReadOnlySpan<byte> datagram, EndPoint from);
