using System.Threading.Channels;

namespace Msdn.Overlay.Transport;

/// <summary>
/// Holds each write to a stream for a delay (plus jitter) before passing it on, in order — a byte stream
/// cannot reorder, so jitter only ever stretches gaps. The writer returns at once unless
/// <see cref="Capacity"/> writes are in flight (then it waits: backpressure, nothing is dropped).
/// </summary>
internal sealed class DelayLine : IAsyncDisposable
{
    public const int Capacity = 1024;

    private readonly Stream _inner;
    private readonly TimeProvider _time;
    private readonly Channel<(long Due, byte[] Bytes)> _queue = Channel.CreateBounded<(long, byte[])>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly Task _pump;
    private long _lastDue;

    public DelayLine(Stream inner, TimeProvider time)
    {
        _inner = inner;
        _time = time;
        _pump = Task.Run(PumpAsync);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, TimeSpan delay, CancellationToken cancellationToken)
    {
        var due = Math.Max(_lastDue, _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency));
        _lastDue = due;
        await _queue.Writer.WriteAsync((due, bytes.ToArray()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes once everything written has been passed on (or the stream broke).</summary>
    public async Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var (due, bytes) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time).ConfigureAwait(false);
            }

            await _inner.WriteAsync(bytes).ConfigureAwait(false);
            await _inner.FlushAsync().ConfigureAwait(false);
        }
    }
}
