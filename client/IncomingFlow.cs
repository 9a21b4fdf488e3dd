using System.Threading.Channels;
using Msdn.Graph.Topology;

namespace Msdn.Client;

/// <summary>
/// A flow arriving at its destination room for a subscribed endpoint: its bytes, in order and once,
/// across every failover of the path carrying it. <see cref="Data"/> completes when the sender closed
/// the flow after everything was delivered; when the flow was cut off instead (its sender's connection
/// ended without closing it), it completes with a <see cref="FlowCutOffException"/> after the last byte.
/// </summary>
public sealed class IncomingFlow
{
    private readonly Channel<ReadOnlyMemory<byte>> _data = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CountingReader _reader;

    /// <param name="consumed">Told the size of every chunk the subscriber takes (the relay bounds what it holds unread by it).</param>
    internal IncomingFlow(RoomId source, ulong id, string endpoint, Action<int>? consumed = null)
    {
        Source = source;
        Id = id;
        Endpoint = endpoint;
        _reader = new CountingReader(_data.Reader, consumed);
    }

    public RoomId Source { get; }

    public ulong Id { get; }

    public string Endpoint { get; }

    /// <summary>
    /// The flow's first chunk here: 0, or where a relay took the flow on after the relay that delivered it until then
    /// died (its subscriber holds the chunks before this one).
    /// </summary>
    internal ulong FirstChunk { get; init; }

    /// <summary>The flow's chunks in order; completes when the flow is closed, with <see cref="FlowCutOffException"/> when it was cut off.</summary>
    public ChannelReader<ReadOnlyMemory<byte>> Data => _reader;

    internal ChannelWriter<ReadOnlyMemory<byte>> Writer => _data.Writer;

    /// <summary>
    /// Gives back a chunk read from <see cref="Data"/> once nothing reads it any more: its array holds a later chunk
    /// instead of a new one being allocated for it (a bulk flow reads thousands a second). Optional: a chunk never
    /// given back is simply collected. Anything else (a chunk not from a flow, one given back twice) must not be passed.
    /// </summary>
    public static void Recycle(ReadOnlyMemory<byte> chunk) => Framing.ChunkArrays.Recycle(chunk);

    /// <summary>Copies the flow to <paramref name="destination"/> until the sender closes it (throws <see cref="FlowCutOffException"/> when it was cut off).</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await foreach (var chunk in _reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await destination.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            Recycle(chunk); // written out; nothing else holds a chunk it read
        }
    }

    /// <summary>Everything the flow carries, once the sender has closed it.</summary>
    public async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken = default)
    {
        using var all = new MemoryStream();
        await CopyToAsync(all, cancellationToken).ConfigureAwait(false);
        return all.ToArray();
    }

    /// <summary>The flow's reader, telling the relay of each chunk taken.</summary>
    private sealed class CountingReader(ChannelReader<ReadOnlyMemory<byte>> inner, Action<int>? consumed) : ChannelReader<ReadOnlyMemory<byte>>
    {
        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool TryRead(out ReadOnlyMemory<byte> item)
        {
            if (!inner.TryRead(out item))
            {
                return false;
            }

            consumed?.Invoke(item.Length);
            return true;
        }

        public override bool TryPeek(out ReadOnlyMemory<byte> item) => inner.TryPeek(out item);

        /// <summary>As the base class reads (and fails) but without its per-wait allocation: read once per chunk of a bulk flow.</summary>
        public override ValueTask<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancellationToken = default) =>
            TryRead(out var item) ? ValueTask.FromResult(item) : WaitAndReadAsync(cancellationToken);

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadOnlyMemory<byte>> WaitAndReadAsync(CancellationToken cancellationToken)
        {
            while (await inner.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryRead(out var item))
                {
                    return item;
                }
            }

            throw new ChannelClosedException();
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}
