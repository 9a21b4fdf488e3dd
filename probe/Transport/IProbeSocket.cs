using System.Net;

namespace Msdn.Probe.Transport;

/// <summary>
/// The datagram socket a probe agent uses: real UDP (<see cref="UdpProbeSocket"/>), an impairment
/// decorator (<see cref="ImpairedProbeSocket"/>), or the simulator's <see cref="InMemoryProbeNetwork"/>.
/// Sends never block (datagrams may be dropped, as on any network); receives are awaited.
/// </summary>
public interface IProbeSocket : IAsyncDisposable
{
    EndPoint LocalEndPoint { get; }

    void Send(ReadOnlySpan<byte> datagram, EndPoint destination);

    /// <summary>Waits for the next datagram; throws <see cref="OperationCanceledException"/> when cancelled or closed.</summary>
    ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>A received datagram: its length in the caller's buffer and where it came from.</summary>
public readonly record struct ReceivedDatagram(int Length, EndPoint From);
