using System.Buffers;
using System.IO.Pipelines;
using Msdn.Client.Framing;

namespace Msdn.Client.Framing;

/// <summary>Frames over one relay stream: a pipe reader for decoding, serialized writes.</summary>
internal sealed class FrameStream(Stream stream, FrameLimits limits) : IAsyncDisposable
{
    private readonly PipeReader _reader = stream is IPipeReadable readable ? readable.Input : PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _buffer = new(32 * 1024);
    private readonly byte[] _header = new byte[FrameCodec.PrefixBytes + FrameCodec.DataHeaderBytes];

    public Stream Stream => stream;

    /// <summary>The limits the next frames are read under (a connection's first frame gets tighter ones).</summary>
    public FrameLimits Limits { get; set; } = limits;

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(Frame frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _buffer.ResetWrittenCount();
            FrameCodec.Write(_buffer, frame);
            await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Several frames in one write (one trip through the transport instead of one per frame).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(List<Frame> batch, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (stream is IGatheringWriter gathering)
            {
                await WriteGatheredAsync(gathering, batch, cancellationToken).ConfigureAwait(false);
                return;
            }

            _buffer.ResetWrittenCount();
            foreach (var frame in batch)
            {
                FrameCodec.Write(_buffer, frame);
            }

            await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Data frames go out as their header and their payload, not copied together first; other frames are gathered as usual, all in order.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteGatheredAsync(IGatheringWriter gathering, List<Frame> batch, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        foreach (var frame in batch)
        {
            if (!frame.IsData || !frame.Payload.IsSingleSegment || !gathering.FitsOneUnit(_header.Length + (int)frame.Payload.Length))
            {
                FrameCodec.Write(_buffer, frame);
                continue;
            }

            if (_buffer.WrittenCount > 0)
            {
                await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                _buffer.ResetWrittenCount();
            }

            FrameCodec.WriteFixedHeader(_header, frame.Kind, frame.FlowId, frame.Sequence, frame.Payload.Length);
            await gathering.WriteAsync(_header, frame.Payload.First, cancellationToken).ConfigureAwait(false);
        }

        if (_buffer.WrittenCount > 0)
        {
            await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next frame with its payload copied out (into a pooled array: see <see cref="ChunkArrays"/>), or null at the end of the stream.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(Frame Frame, ReadOnlyMemory<byte> Payload)?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (FrameCodec.TryRead(ref buffer, Limits, out var frame))
            {
                var payload = ChunkArrays.CopyOf(frame.Payload);
                _reader.AdvanceTo(buffer.Start);
                return (frame, payload);
            }

            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    throw new FrameFormatException("The stream ended inside a frame.");
                }

                return null;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The next frame if one is already buffered (no waiting); the egress acks only when none is.</summary>
    public bool TryReadBuffered(out (Frame Frame, ReadOnlyMemory<byte> Payload) read)
    {
        read = default;
        if (!_reader.TryRead(out var result))
        {
            return false;
        }

        var buffer = result.Buffer;
        if (FrameCodec.TryRead(ref buffer, Limits, out var frame))
        {
            read = (frame, ChunkArrays.CopyOf(frame.Payload));
            _reader.AdvanceTo(buffer.Start);
            return true;
        }

        _reader.AdvanceTo(buffer.Start, buffer.End);
        return false;
    }

    /// <summary>Bytes already read ahead past the last frame (to hand over when splicing).</summary>
    public PipeReader Reader => _reader;

    /// <summary>
    /// Lets go of a stream whose path failed: reset now, released in the background. Failover never waits
    /// on the old path's peer, which may be dead (a graceful close would wait for its acknowledgements).
    /// </summary>
    public void Abandon()
    {
        try
        {
            stream.Abort();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Already reset or closed: nothing left to abort.
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The stream was already broken: releasing it is all that was left.
            }
        });
    }

    /// <summary>
    /// Closes a stream whose exchange ended well: what was written goes out and the peer reads its end. A
    /// peer that does not take it within <paramref name="patience"/> (it stopped reading, or died just now)
    /// gets the stream reset instead: a close never waits on a peer without a deadline.
    /// </summary>
    public async ValueTask CloseAsync(TimeSpan patience, TimeProvider time)
    {
        var closing = DisposeAsync().AsTask();
        try
        {
            await closing.WaitAsync(patience, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abandon();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer broke the stream first: nothing is left to close.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
