using System.Buffers;
using System.IO.Pipelines;
using Msdn.Client.Framing;

namespace Msdn.Overlay.Transport.Mux;

/// <summary>
/// One multiplexed stream. Credit-based flow control: a writer sends no more than the peer has granted,
/// and the reader grants bytes back as the application consumes them, so a slow reader slows its own
/// writer (backpressure) without ever blocking the connection's other streams.
/// </summary>
internal sealed class MuxStream : Stream, IHalfClosable, IAbortable, IPipeReadable, IGatheringWriter
{
    private readonly MuxConnection _connection;
    private readonly Pipe _incoming = new(new PipeOptions(MuxBuffers.Pool, minimumSegmentSize: MuxBuffers.SegmentBytes, pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly GrantingReader _input;
    private readonly SemaphoreSlim _credit = new(0);
    private long _sendWindow = MuxLimits.InitialWindow;
    private long _receiveWindow = MuxLimits.InitialWindow;
    private int _consumedSinceGrant;
    private int _writeClosed;
    private int _finReceived;
    private readonly Lock _incomingLock = new();
    private bool _incomingCompleted;
    private bool _readerCompleted;
    private int _released;

    public MuxStream(MuxConnection connection, uint id)
    {
        _connection = connection;
        Id = id;
        _input = new GrantingReader(this, _incoming.Reader);
    }

    /// <summary>What the peer sent, read in place; consuming it grants the peer credit, as reading the stream does.</summary>
    public PipeReader Input => _input;

    public uint Id { get; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Data from the peer (reader loop). False when the peer overran the window it was granted.</summary>
    internal bool Received(ReadOnlySequence<byte> payload)
    {
        if (Interlocked.Add(ref _receiveWindow, -payload.Length) < 0)
        {
            return false;
        }

        lock (_incomingLock)
        {
            if (_incomingCompleted || _readerCompleted)
            {
                return true; // closed or reset on this side meanwhile: nobody will read it
            }

            foreach (var segment in payload)
            {
                _incoming.Writer.Write(segment.Span);
            }

            var flush = _incoming.Writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                flush.AsTask().GetAwaiter().GetResult(); // never blocks: the pipe does not pause, the window bounds it
            }
        }

        return true;
    }

    internal void ReceivedFin()
    {
        Volatile.Write(ref _finReceived, 1);
        CompleteIncoming(null);
    }

    /// <summary>
    /// The stream is over (reset by either side, or its connection failed): writes and credit waits fail at
    /// once. Data the peer finished sending before (its end already received) stays readable to its end.
    /// </summary>
    internal void Failed(Exception reason)
    {
        if (Volatile.Read(ref _finReceived) == 0)
        {
            CompleteIncoming(reason);
        }

        Interlocked.Exchange(ref _sendWindow, long.MinValue / 2);
        _credit.Release();
    }

    /// <summary>Ends the incoming data once; the reader loop may be delivering to this stream at that very moment.</summary>
    private void CompleteIncoming(Exception? reason)
    {
        lock (_incomingLock)
        {
            if (_incomingCompleted)
            {
                return;
            }

            _incomingCompleted = true;
            _incoming.Writer.Complete(reason);
        }
    }

    internal void Granted(uint credit)
    {
        Interlocked.Add(ref _sendWindow, credit);
        _credit.Release();
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
        var available = result.Buffer;
        if (available.IsEmpty && result.IsCompleted)
        {
            _input.AdvanceTo(available.End);
            return 0;
        }

        var count = (int)Math.Min(buffer.Length, available.Length);
        available.Slice(0, count).CopyTo(buffer.Span);
        _input.AdvanceTo(available.GetPosition(count));
        return count;
    }

    /// <summary>The reader took <paramref name="count"/> bytes: they are granted back to the peer in batches of a quarter window.</summary>
    private void Consumed(long count)
    {
        Interlocked.Add(ref _receiveWindow, count);
        _consumedSinceGrant += (int)count;
        if (_consumedSinceGrant < MuxLimits.InitialWindow / 4)
        {
            return;
        }

        var grant = _consumedSinceGrant;
        _consumedSinceGrant = 0;
        try
        {
            _ = _connection.SendAsync(MuxFrameType.Window, Id, default, (uint)grant, CancellationToken.None);
        }
        catch (IOException)
        {
            // The connection is gone: this stream has failed with it, and the next read says so.
        }
    }

    /// <summary>This side reads no more: what still arrives for the stream is dropped.</summary>
    private void CompleteReader(Exception? reason)
    {
        lock (_incomingLock)
        {
            if (_readerCompleted)
            {
                return;
            }

            _readerCompleted = true;
            _incoming.Reader.Complete(reason);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
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

    public bool FitsOneUnit(int bytes) => bytes <= MuxLimits.MaxPayload;

    /// <summary>A header and its payload as one data frame (when they fit one), waiting for credit for the whole of it.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _writeClosed) != 0, this);
        var total = header.Length + payload.Length;
        if (!FitsOneUnit(total))
        {
            await WriteAsync(header, cancellationToken).ConfigureAwait(false);
            await WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            return;
        }

        while (true)
        {
            var window = Interlocked.Read(ref _sendWindow);
            if (window < 0)
            {
                throw new IOException("The stream was reset or its connection failed.");
            }

            // Never waits for good: with nothing in flight, at most a quarter window is consumed and not yet granted back.
            if (window < total)
            {
                await _credit.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            Interlocked.Add(ref _sendWindow, -total);
            await _connection.SendAsync(MuxFrameType.Data, Id, header, payload, (uint)total, cancellationToken).ConfigureAwait(false);
            return;
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

    /// <summary>
    /// Ends the writing side (the peer reads what was written, then its end) and stops reading: if the peer
    /// has not finished sending, it is told to stop (a reset after the end), so its writer never waits for
    /// credit this side will not grant. Never waits on the peer.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        await EndWritingAsync().ConfigureAwait(false);
        Release(resetPeer: Volatile.Read(ref _finReceived) == 0);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            EndWritingAsync().AsTask().GetAwaiter().GetResult();
            Release(resetPeer: Volatile.Read(ref _finReceived) == 0);
        }

        base.Dispose(disposing);
    }

    /// <summary>Resets both directions now: the peer's reads and writes on this stream fail; nothing waits.</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _writeClosed, 1);
        Release(resetPeer: true);
    }

    private void Release(bool resetPeer)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _connection.Forget(Id);
        if (resetPeer)
        {
            try
            {
                _ = _connection.SendAsync(MuxFrameType.Reset, Id, default, 0, CancellationToken.None);
            }
            catch (IOException)
            {
                // The connection is gone: the peer's streams failed with it.
            }
        }

        Failed(new ObjectDisposedException(nameof(MuxStream), "The stream was closed on this side."));
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

    /// <summary>The stream's pipe as its reader sees it: what the reader consumes is counted, and granted back to the peer.</summary>
    private sealed class GrantingReader(MuxStream stream, PipeReader inner) : PipeReader
    {
        private ReadOnlySequence<byte> _lastRead;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var pending = inner.ReadAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                var result = pending.Result;
                _lastRead = result.Buffer;
                return ValueTask.FromResult(result);
            }

            return Remembered(pending);
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            _lastRead = result.Buffer;
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            var count = _lastRead.Slice(_lastRead.Start, consumed).Length;
            _lastRead = default;
            inner.AdvanceTo(consumed, examined);
            if (count > 0)
            {
                stream.Consumed(count);
            }
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => stream.CompleteReader(exception);

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> Remembered(ValueTask<ReadResult> pending)
        {
            var result = await pending.ConfigureAwait(false);
            _lastRead = result.Buffer;
            return result;
        }
    }
}
