using Msdn.Client.Framing;

namespace Msdn.Client;

/// <summary>
/// A flow being written. Writes wait while the relay's buffer for the flow is full (backpressure
/// through the connection); <see cref="CompleteAsync"/> returns once the destination has everything.
/// </summary>
public sealed class ClientFlow : IAsyncDisposable
{
    private const int MaxChunkBytes = (16 * 1024) - 64;
    private readonly FrameStream _frames;
    private readonly Task<CloseFlow> _answer;
    private ulong _sequence;

    internal ClientFlow(FrameStream frames, ulong id)
    {
        _frames = frames;
        Id = id;
        _answer = Task.Run(async () =>
        {
            // The relay speaks once more on this connection: "delivered", or why the flow failed.
            var read = await frames.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            return read?.Frame.Control as CloseFlow ?? throw new IOException("The relay closed the flow's connection without an answer.");
        });
    }

    public ulong Id { get; }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (_answer.IsCompleted)
        {
            await ThrowIfFailedAsync().ConfigureAwait(false);
        }

        for (var at = 0; at < data.Length; at += MaxChunkBytes)
        {
            var piece = data.Slice(at, Math.Min(MaxChunkBytes, data.Length - at));
            await _frames.WriteAsync(Frame.Data(Id, _sequence++, new System.Buffers.ReadOnlySequence<byte>(piece)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>No more data; returns once the destination relay has delivered everything written.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await _frames.WriteAsync(Frame.Close(new CloseFlow(Id, "complete")), cancellationToken).ConfigureAwait(false);
        var answer = await _answer.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (answer.Reason != "delivered")
        {
            throw new RelayClientException(answer.Reason);
        }
    }

    public ValueTask DisposeAsync() => _frames.DisposeAsync();

    private async Task ThrowIfFailedAsync()
    {
        var answer = await _answer.ConfigureAwait(false);
        throw new RelayClientException(answer.Reason);
    }
}
