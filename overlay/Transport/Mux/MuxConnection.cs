using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;

namespace Msdn.Overlay.Transport.Mux;

/// <summary>
/// Many streams over one authenticated byte stream (a TLS connection): one reader loop dispatches frames
/// to streams, writers take turns on the connection. A protocol violation (oversized frame, unknown
/// type, window overrun) closes the connection and fails its streams; it never throws out of the loop.
/// </summary>
internal sealed class MuxConnection : IRelayConnection
{
    private readonly Stream _transport;
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly Channel<MuxStream> _incoming = Channel.CreateUnbounded<MuxStream>();

    /// <summary>Frames queued for the writer loop; it never pauses writers (every stream's window bounds what it may queue).</summary>
    private readonly Pipe _outgoing = new(new PipeOptions(MuxBuffers.Pool, minimumSegmentSize: MuxBuffers.SegmentBytes, pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly Lock _sending = new();
    private bool _sendClosed;
    private readonly Task _writer;
    private readonly CancellationTokenSource _closing = new();
    private readonly bool _isClient;
    private readonly Task _reader;
    private readonly Task _keepingAlive;
    private readonly MuxKeepAlive _keepAlive;
    private long _nextId;
    private long _lastHeard;
    private int _transportReleased;

    public MuxConnection(Stream transport, bool isClient, EndPoint remote, MuxKeepAlive? keepAlive = null)
    {
        _transport = transport;
        _isClient = isClient;
        RemoteEndPoint = remote;
        RemoteCertificate = (transport as System.Net.Security.SslStream)?.RemoteCertificate; // authenticated before: and readable after the stream is closed
        _keepAlive = keepAlive ?? MuxKeepAlive.Default;
        _nextId = isClient ? -1 : 0; // client streams are odd, server streams even: no collisions
        _lastHeard = _keepAlive.Time.GetTimestamp();
        _reader = Task.Run(ReadLoopAsync);
        _writer = Task.Run(WriteLoopAsync);
        _keepingAlive = Task.Run(KeepAliveLoopAsync);
    }

    public EndPoint RemoteEndPoint { get; }

    public System.Security.Cryptography.X509Certificates.X509Certificate? RemoteCertificate { get; }

    /// <summary>Why the connection ended, when it did.</summary>
    public Exception? Failure { get; private set; }

    public async ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken)
    {
        var id = (uint)Interlocked.Add(ref _nextId, 2);
        var stream = new MuxStream(this, id);
        _streams[id] = stream;
        await SendAsync(MuxFrameType.Open, id, default, 0, cancellationToken).ConfigureAwait(false);
        return stream;
    }

    public async ValueTask<Stream> AcceptStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new IOException("The connection is closed.", Failure);
        }
    }

    /// <summary>
    /// Queues one frame for the writer loop, which writes everything queued in few large TLS writes (one
    /// syscall and wake-up per burst instead of per frame). The frame is copied once, into the queue.
    /// Memory stays bounded: every stream may have at most its window in flight. A write failure fails the
    /// whole connection and its streams.
    /// </summary>
    internal Task SendAsync(MuxFrameType type, uint id, ReadOnlyMemory<byte> payload, uint length, CancellationToken cancellationToken) =>
        SendAsync(type, id, payload, default, length, cancellationToken);

    /// <summary>One frame whose payload is <paramref name="first"/> then <paramref name="second"/>, each copied straight into the queue.</summary>
    internal Task SendAsync(MuxFrameType type, uint id, ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second, uint length, CancellationToken cancellationToken)
    {
        lock (_sending)
        {
            if (_sendClosed)
            {
                throw new IOException("The relay connection is closed.", Failure);
            }

            var writer = _outgoing.Writer;
            var header = writer.GetSpan(MuxLimits.HeaderBytes);
            header[0] = (byte)type;
            BinaryPrimitives.WriteUInt32LittleEndian(header[1..], id);
            BinaryPrimitives.WriteUInt32LittleEndian(header[5..], length);
            writer.Advance(MuxLimits.HeaderBytes);
            writer.Write(first.Span);
            writer.Write(second.Span);
            var flush = writer.FlushAsync(CancellationToken.None);
            if (!flush.IsCompleted)
            {
                flush.AsTask().GetAwaiter().GetResult(); // never blocks: the queue does not pause its writers
            }
        }

        return Task.CompletedTask;
    }

    private async Task WriteLoopAsync()
    {
        var queued = _outgoing.Reader;
        try
        {
            while (true)
            {
                var result = await queued.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await _transport.WriteAsync(segment, _closing.Token).ConfigureAwait(false);
                }

                if (!buffer.IsEmpty)
                {
                    await _transport.FlushAsync(_closing.Token).ConfigureAwait(false);
                }

                queued.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Close(e); // whatever broke the byte stream, this connection is over; its streams fail
        }
        finally
        {
            await queued.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>No frame is queued after this; the writer loop ends once it has written what was.</summary>
    private void StopSending()
    {
        lock (_sending)
        {
            if (!_sendClosed)
            {
                _sendClosed = true;
                _outgoing.Writer.Complete();
            }
        }
    }

    /// <summary>A stream closed or reset on this side: frames still arriving for it are dropped.</summary>
    internal void Forget(uint id) => _streams.TryRemove(id, out _);

    /// <summary>Streams open on this connection now (each leaves when it is closed, reset or failed).</summary>
    internal int OpenStreams => _streams.Count;

    /// <summary>
    /// Pings the peer (an empty window frame for stream 0, which no stream has: older peers ignore it) and
    /// closes the connection when nothing at all has come from the peer for the idle timeout. A peer
    /// that died without a word, or a link cut in the middle, otherwise leaves the connection and every
    /// stream on it waiting until the kernel gives up, minutes later.
    /// </summary>
    private async Task KeepAliveLoopAsync()
    {
        using var timer = new PeriodicTimer(_keepAlive.Interval, _keepAlive.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                var silent = _keepAlive.Time.GetElapsedTime(Interlocked.Read(ref _lastHeard));
                if (silent > _keepAlive.IdleTimeout)
                {
                    Close(new RelayConnectionLostException($"The peer relay was silent for {silent.TotalSeconds:F1} s.", null));
                    return;
                }

                await SendAsync(MuxFrameType.Window, 0, default, 0, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Closing, or already closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Let queued frames (a stream's end, a last ack) go out first, briefly; then cut.
        StopSending();
        await Task.WhenAny(_writer, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
        await _closing.CancelAsync().ConfigureAwait(false);
        ReleaseTransport();
        try
        {
            await Task.WhenAll(_reader, _writer, _keepingAlive).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads frames straight out of the TLS stream's pipe: a data frame is copied once, into its stream's pipe.</summary>
    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_transport, new StreamPipeReaderOptions(MuxBuffers.Pool, bufferSize: 64 * 1024, minimumReadSize: 32 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var heard = false;
                while (TryTakeFrame(ref buffer, out var type, out var id, out var length, out var payload))
                {
                    heard = true;
                    Dispatch(type, id, length, payload);
                }

                if (heard)
                {
                    Interlocked.Exchange(ref _lastHeard, _keepAlive.Time.GetTimestamp());
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new InvalidDataException("The connection ended inside a frame.");
                    }

                    Close(new IOException("The peer closed the connection."));
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Close(e);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The next whole frame at the start of <paramref name="buffer"/>, if it is all there; an oversized data frame is refused from its header alone.</summary>
    private static bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out MuxFrameType type, out uint id, out uint length, out ReadOnlySequence<byte> payload)
    {
        type = default;
        id = length = 0;
        payload = default;
        if (buffer.Length < MuxLimits.HeaderBytes)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[MuxLimits.HeaderBytes];
        buffer.Slice(0, MuxLimits.HeaderBytes).CopyTo(header);
        type = (MuxFrameType)header[0];
        id = BinaryPrimitives.ReadUInt32LittleEndian(header[1..]);
        length = BinaryPrimitives.ReadUInt32LittleEndian(header[5..]);
        if (type == MuxFrameType.Data && length > MuxLimits.MaxPayload)
        {
            throw new InvalidDataException($"Data frame of {length} bytes exceeds {MuxLimits.MaxPayload}.");
        }

        var payloadBytes = type == MuxFrameType.Data ? (int)length : 0;
        if (buffer.Length < MuxLimits.HeaderBytes + payloadBytes)
        {
            return false;
        }

        payload = buffer.Slice(MuxLimits.HeaderBytes, payloadBytes);
        buffer = buffer.Slice(MuxLimits.HeaderBytes + payloadBytes);
        return true;
    }

    private void Dispatch(MuxFrameType type, uint id, uint length, ReadOnlySequence<byte> data)
    {
        switch (type)
        {
            case MuxFrameType.Open:
                var peerOpened = (id & 1) == (_isClient ? 0u : 1u);
                if (!peerOpened || id == 0 || _streams.ContainsKey(id))
                {
                    throw new InvalidDataException($"The peer opened stream {id}, which it may not.");
                }

                var stream = new MuxStream(this, id);
                _streams[id] = stream;
                _incoming.Writer.TryWrite(stream);
                break;
            case MuxFrameType.Data:
                if (_streams.TryGetValue(id, out var target) && !target.Received(data))
                {
                    throw new InvalidDataException($"The peer overran stream {id}'s window.");
                }

                break;
            case MuxFrameType.Fin:
                if (_streams.TryGetValue(id, out var finished))
                {
                    finished.ReceivedFin();
                }

                break;
            case MuxFrameType.Window:
                if (_streams.TryGetValue(id, out var granted))
                {
                    granted.Granted(length);
                }

                break;
            case MuxFrameType.Reset:
                if (_streams.TryRemove(id, out var reset))
                {
                    reset.Failed(new IOException($"The peer reset stream {id}."));
                }

                break;
            default:
                throw new InvalidDataException($"Unknown frame type {(byte)type}.");
        }
    }

    private void Close(Exception reason)
    {
        Failure ??= reason;
        _closing.Cancel();
        _incoming.Writer.TryComplete();
        foreach (var stream in _streams.Values)
        {
            stream.Failed(new RelayConnectionLostException("The relay connection failed.", reason));
        }

        _streams.Clear();
        StopSending();
        ReleaseTransport();
    }

    /// <summary>Once: the reader, the writer, the keep-alive and disposal may all end the connection at the same moment, and a TLS stream must not be disposed twice at once.</summary>
    private void ReleaseTransport()
    {
        if (Interlocked.Exchange(ref _transportReleased, 1) == 0)
        {
            _transport.Dispose();
        }
    }
}
