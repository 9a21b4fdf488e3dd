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

        try
        {
            for (var at = 0; at < data.Length; at += MaxChunkBytes)
            {
                var piece = data.Slice(at, Math.Min(MaxChunkBytes, data.Length - at));
                await _frames.WriteAsync(Frame.Data(Id, _sequence++, new System.Buffers.ReadOnlySequence<byte>(piece)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            await ThrowTheRelaysReasonAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// After a write failed: when the relay ended the flow (and the connection) while the write waited, its reason is
    /// what the writer hears (a <see cref="RelayClientException"/>), not a broken pipe.
    /// </summary>
    private async Task ThrowTheRelaysReasonAsync()
    {
        if (await AnsweredSoonAsync().ConfigureAwait(false))
        {
            await ThrowIfFailedAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Whether the relay's last word arrived (it comes just before the connection closes).</summary>
    private async Task<bool> AnsweredSoonAsync()
    {
        try
        {
            await _answer.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or IOException or ObjectDisposedException or FrameFormatException)
        {
            return false;
        }
    }

    /// <summary>No more data; returns once the destination relay has delivered everything written.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _frames.WriteAsync(Frame.Close(new CloseFlow(Id, "complete")), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            await ThrowTheRelaysReasonAsync().ConfigureAwait(false);
            throw;
        }

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
