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
    private readonly CancellationTokenSource _aborted = new();
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

    /// <summary>Drops what is still held and stops a write in progress (the stream is being reset): nothing waits.</summary>
    public void Abort()
    {
        _queue.Writer.TryComplete();
        _aborted.Cancel();
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
        var aborted = _aborted.Token;
        await foreach (var (due, bytes) in _queue.Reader.ReadAllAsync(aborted).ConfigureAwait(false))
        {
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, aborted).ConfigureAwait(false);
            }

            await _inner.WriteAsync(bytes, aborted).ConfigureAwait(false);
            await _inner.FlushAsync(aborted).ConfigureAwait(false);
        }
    }
}
