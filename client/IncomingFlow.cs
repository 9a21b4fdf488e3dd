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
    private readonly Channel<byte[]> _data = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    internal IncomingFlow(RoomId source, ulong id, string endpoint)
    {
        Source = source;
        Id = id;
        Endpoint = endpoint;
    }

    public RoomId Source { get; }

    public ulong Id { get; }

    public string Endpoint { get; }

    /// <summary>The flow's chunks in order; completes when the flow is closed, with <see cref="FlowCutOffException"/> when it was cut off.</summary>
    public ChannelReader<byte[]> Data => _data.Reader;

    internal ChannelWriter<byte[]> Writer => _data.Writer;

    /// <summary>Copies the flow to <paramref name="destination"/> until the sender closes it (throws <see cref="FlowCutOffException"/> when it was cut off).</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await foreach (var chunk in _data.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await destination.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Everything the flow carries, once the sender has closed it.</summary>
    public async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken = default)
    {
        using var all = new MemoryStream();
        await CopyToAsync(all, cancellationToken).ConfigureAwait(false);
        return all.ToArray();
    }
}
