using System.Buffers;
using System.IO.Pipelines;

namespace Msdn.Overlay.Transport.Mux;

/// <summary>
/// One multiplexed stream. Credit-based flow control: a writer sends no more than the peer has granted,
/// and the reader grants bytes back as the application consumes them, so a slow reader slows its own
/// writer (backpressure) without ever blocking the connection's other streams.
/// </summary>
internal sealed class MuxStream : Stream, IHalfClosable
{
    private readonly MuxConnection _connection;
    private readonly Pipe _incoming = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly SemaphoreSlim _credit = new(0);
    private long _sendWindow = MuxLimits.InitialWindow;
    private long _receiveWindow = MuxLimits.InitialWindow;
    private int _consumedSinceGrant;
    private int _writeClosed;

    public MuxStream(MuxConnection connection, uint id)
    {
        _connection = connection;
        Id = id;
    }

    public uint Id { get; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Data from the peer (reader loop). False when the peer overran the window it was granted.</summary>
    internal bool Received(ReadOnlySpan<byte> payload)
    {
        if (Interlocked.Add(ref _receiveWindow, -payload.Length) < 0)
        {
            return false;
        }

        _incoming.Writer.Write(payload);
        var flush = _incoming.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            flush.AsTask().GetAwaiter().GetResult(); // never blocks: the pipe does not pause, the window bounds it
        }

        return true;
    }

    internal void ReceivedFin() => _incoming.Writer.Complete();

    internal void Failed(Exception reason)
    {
        _incoming.Writer.Complete(reason);
        Interlocked.Exchange(ref _sendWindow, long.MinValue / 2);
        _credit.Release();
    }

    internal void Granted(uint credit)
    {
        Interlocked.Add(ref _sendWindow, credit);
        _credit.Release();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var available = result.Buffer;
        if (available.IsEmpty && result.IsCompleted)
        {
            _incoming.Reader.AdvanceTo(available.End);
            return 0;
        }

        var count = (int)Math.Min(buffer.Length, available.Length);
        available.Slice(0, count).CopyTo(buffer.Span);
        _incoming.Reader.AdvanceTo(available.GetPosition(count));

        // Grant the consumed bytes back in batches of a quarter window.
        Interlocked.Add(ref _receiveWindow, count);
        _consumedSinceGrant += count;
        if (_consumedSinceGrant >= MuxLimits.InitialWindow / 4)
        {
            var grant = _consumedSinceGrant;
            _consumedSinceGrant = 0;
            await _connection.SendAsync(MuxFrameType.Window, Id, default, (uint)grant, cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _writeClosed) != 0, this);
        while (!buffer.IsEmpty)
        {
            var window = Interlocked.Read(ref _sendWindow);
            if (window < 0)
            {
                throw new IOException("The stream was reset or its connection failed.");
            }

            if (window == 0)
            {
                await _credit.WaitAsync(cancellationToken).ConfigureAwait(false); // backpressure: wait for the reader
                continue;
            }

            var chunk = (int)Math.Min(Math.Min(buffer.Length, MuxLimits.MaxPayload), window);
            Interlocked.Add(ref _sendWindow, -chunk);
            await _connection.SendAsync(MuxFrameType.Data, Id, buffer[..chunk], (uint)chunk, cancellationToken).ConfigureAwait(false);
            buffer = buffer[chunk..];
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Ends the writing side (the peer reads to end of stream); reading continues until the peer's end.</summary>
    public override async ValueTask DisposeAsync()
    {
        await EndWritingAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            EndWritingAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    public ValueTask CompleteWritesAsync() => EndWritingAsync();

    private async ValueTask EndWritingAsync()
    {
        if (Interlocked.Exchange(ref _writeClosed, 1) != 0)
        {
            return;
        }

        try
        {
            await _connection.SendAsync(MuxFrameType.Fin, Id, default, 0, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The connection is gone: the peer sees the stream fail instead.
        }
    }
}
