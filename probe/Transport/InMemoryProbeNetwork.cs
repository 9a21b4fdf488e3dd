using System.Net;
using System.Threading.Channels;

namespace Msdn.Probe.Transport;

/// <summary>
/// Datagrams between sockets of one process, delivered after a per-link delay on a
/// <see cref="TimeProvider"/>'s timers: with a virtual clock, the simulator runs real probe agents in
/// virtual time (each datagram is handed to the receiving agent synchronously at its arrival time). A
/// link whose <see cref="LinkDelay"/> answers null drops the datagram.
/// </summary>
public sealed class InMemoryProbeNetwork(TimeProvider time)
{
    private readonly Dictionary<EndPoint, InMemorySocket> _sockets = [];
    private readonly Lock _lock = new();

    /// <summary>The one-way delay from one endpoint to another, or null to drop. Default: deliver at once.</summary>
    public Func<EndPoint, EndPoint, TimeSpan?> LinkDelay { get; set; } = (_, _) => TimeSpan.Zero;

    public long Delivered { get; private set; }

    public long Dropped { get; private set; }

    public IProbeSocket CreateSocket(EndPoint address)
    {
        lock (_lock)
        {
            var socket = new InMemorySocket(this, address);
            _sockets.Add(address, socket);
            return socket;
        }
    }

    private void Deliver(EndPoint from, EndPoint to, byte[] datagram)
    {
        InMemorySocket? target;
        TimeSpan? delay;
        lock (_lock)
        {
            delay = LinkDelay(from, to);
            if (delay is null || !_sockets.TryGetValue(to, out target))
            {
                Dropped++;
                return;
            }

            Delivered++;
        }

        if (delay.Value <= TimeSpan.Zero)
        {
            target.Arrive(datagram, from);
            return;
        }

        ITimer? timer = null;
        timer = time.CreateTimer(
            _ =>
            {
                target.Arrive(datagram, from);
                timer?.Dispose();
            },
            null,
            delay.Value,
            Timeout.InfiniteTimeSpan);
    }

    private void Remove(EndPoint address)
    {
        lock (_lock)
        {
            _sockets.Remove(address);
        }
    }

    private sealed class InMemorySocket(InMemoryProbeNetwork network, EndPoint address) : IProbeSocket, IDatagramPushSource
    {
        private DatagramReceiver? _receiver;

        public Channel<(byte[] Datagram, EndPoint From)> Inbox { get; } = Channel.CreateUnbounded<(byte[], EndPoint)>();

        public void SetReceiver(DatagramReceiver receiver) => _receiver = receiver;

        public void Arrive(byte[] datagram, EndPoint from)
        {
            if (_receiver is { } receiver)
            {
                receiver(datagram, from);
            }
            else
            {
                Inbox.Writer.TryWrite((datagram, from));
            }
        }

        public EndPoint LocalEndPoint { get; } = address;

        public void Send(ReadOnlySpan<byte> datagram, EndPoint destination) => network.Deliver(LocalEndPoint, destination, datagram.ToArray());

        public async ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            try
            {
                var (datagram, from) = await Inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var length = Math.Min(datagram.Length, buffer.Length);
                datagram.AsSpan(0, length).CopyTo(buffer.Span);
                return new ReceivedDatagram(length, from);
            }
            catch (ChannelClosedException)
            {
                throw new OperationCanceledException("The probe socket was closed.");
            }
        }

        public ValueTask DisposeAsync()
        {
            Inbox.Writer.TryComplete();
            network.Remove(LocalEndPoint);
            return ValueTask.CompletedTask;
        }
    }
}
