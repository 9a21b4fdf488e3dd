using System.Runtime.InteropServices;
using Msdn.Client.Framing;

namespace Msdn.Overlay.Flows;

/// <summary>
/// The ingress side of one flow: numbers the writer's bytes into chunks, keeps every chunk until the
/// egress acknowledges it (cumulatively), and on failover rewinds so the new path carries everything not
/// yet acknowledged. The unacknowledged buffer is bounded: a writer that gets ahead waits (backpressure),
/// nothing is dropped. Thread-safe: one writer, one sending loop and the ack handler may run at once.
/// </summary>
public sealed class FlowSender(int maxChunkBytes = 16 * 1024, long maxUnacknowledgedBytes = 4 * 1024 * 1024)
{
    private readonly Lock _lock = new();

    /// <summary>The unacknowledged chunks in sequence order, a ring (no allocation per chunk): <see cref="_count"/> of them from <see cref="_head"/>.</summary>
    private FlowChunk[] _ring = new FlowChunk[16];
    private int _head;
    private int _count;

    /// <summary>How many of the unacknowledged chunks the current path has taken: the next to send is the one after them.</summary>
    private int _taken;

    /// <summary>The sequence of the chunk at <see cref="_head"/> (of the next chunk written, while none is unacknowledged).</summary>
    private ulong _headSequence;
    private long _bufferedBytes;
    private ulong _nextSequence;
    private TaskCompletionSource _roomFreed = NewSignal();
    private TaskCompletionSource _chunkAdded = NewSignal();
    private TaskCompletionSource _allAcknowledged = NewSignal();

    /// <summary>One past the highest sequence any path has taken to send.</summary>
    private ulong _takenUpTo;

    /// <summary>Why the flow failed for good: a writer waiting for room, or writing now, hears it.</summary>
    private Exception? _failed;

    /// <summary>While the egress holds the flow (its subscriber is behind): nothing from this sequence on is sent.</summary>
    private ulong? _heldFrom;

    /// <summary>A flow resumed here after its first relay died: the egress may have delivered more than this relay was given yet.</summary>
    private bool _acksMayLead;
    private TaskCompletionSource _acknowledgedMore = NewSignal();

    public int MaxChunkBytes { get; } = maxChunkBytes;

    public long MaxUnacknowledgedBytes { get; } = maxUnacknowledgedBytes;

    /// <summary>Chunks numbered so far (the next chunk's sequence).</summary>
    public ulong ChunksWritten
    {
        get
        {
            lock (_lock)
            {
                return _nextSequence;
            }
        }
    }

    /// <summary>Everything before this has been delivered at the egress.</summary>
    public ulong Acknowledged { get; private set; }

    public long BufferedBytes
    {
        get
        {
            lock (_lock)
            {
                return _bufferedBytes;
            }
        }
    }

    /// <summary>
    /// This flow continues one that another relay of the room carried (its media engine resumes it here): numbering
    /// starts at <paramref name="sequence"/>, the engine's last end-to-end ack, and an ack from the egress may lead
    /// what the engine has given this relay so far (the chunks it then re-sends below it are already delivered, and
    /// <see cref="WriteChunkAsync"/> passes over them). Only before anything is written.
    /// </summary>
    public void ResumeAt(ulong sequence)
    {
        lock (_lock)
        {
            if (_nextSequence != 0 || _count != 0)
            {
                throw new InvalidOperationException("A flow can only resume before anything is written to it.");
            }

            _nextSequence = _headSequence = _takenUpTo = sequence;
            Acknowledged = sequence;
            _acksMayLead = true;
        }
    }

    /// <summary>
    /// Appends one chunk numbered <paramref name="sequence"/> by its writer (a media engine, whose end-to-end acks
    /// count its own chunks): false when it is one already taken (re-sent after a resumption), which is passed over.
    /// Waits while the unacknowledged buffer is full; a chunk is never split, so the writer's numbering is the flow's.
    /// </summary>
    public ValueTask<bool> WriteChunkAsync(ulong sequence, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        AppendChunkAsync(sequence, data, handedOver: false, cancellationToken);

    /// <summary>
    /// As <see cref="WriteChunkAsync"/>, for a chunk in an array of <see cref="ChunkArrays"/> (one a data frame was read
    /// into): taken (true), the array is the flow's from then on, kept without a copy and given back to the pool once
    /// acknowledged; passed over (false), or on an exception, it stays the caller's.
    /// </summary>
    public ValueTask<bool> HandOverChunkAsync(ulong sequence, ReadOnlyMemory<byte> pooledChunk, CancellationToken cancellationToken) =>
        AppendChunkAsync(sequence, pooledChunk, handedOver: true, cancellationToken);

    /// <summary><see cref="WriteChunkAsync"/> (a copy kept) or <see cref="HandOverChunkAsync"/> (the pooled array kept), by <paramref name="handedOver"/>.</summary>
    internal async ValueTask<bool> AppendChunkAsync(ulong sequence, ReadOnlyMemory<byte> data, bool handedOver, CancellationToken cancellationToken)
    {
        if (data.Length > MaxChunkBytes || data.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(nameof(data), $"A chunk holds 1..{MaxChunkBytes} bytes, not {data.Length}.");
        }

        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_failed is { } failed)
                {
                    throw new IOException(failed.Message, failed);
                }

                if (sequence != _nextSequence)
                {
                    return sequence < _nextSequence
                        ? false
                        : throw new ArgumentOutOfRangeException(nameof(sequence), $"Chunk {sequence} skips past {_nextSequence}, the next one this flow expects.");
                }

                if (_bufferedBytes == 0 || _bufferedBytes + data.Length <= MaxUnacknowledgedBytes)
                {
                    Append(new FlowChunk(_nextSequence++, handedOver ? data : CopyToPooled(data.Span)));
                    _bufferedBytes += data.Length;
                    _chunkAdded.TrySetResult();
                    return true;
                }

                wait = _roomFreed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes once the egress has acknowledged past <paramref name="seen"/> (at once if it has): what a media engine is told.</summary>
    public Task AcknowledgedPastAsync(ulong seen, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Acknowledged > seen)
            {
                return Task.CompletedTask;
            }

            if (_acknowledgedMore.Task.IsCompleted)
            {
                _acknowledgedMore = NewSignal();
            }

            return _acknowledgedMore.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Appends the writer's bytes, waiting while the unacknowledged buffer is full.</summary>
    /// <remarks>
    /// The sending loop is woken once per write (or before the writer waits for room), not once per chunk: a
    /// large write becomes one burst of chunks instead of a wake-up and a small send per chunk.
    /// </remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            Task wait;
            lock (_lock)
            {
                if (_failed is { } failed)
                {
                    throw new IOException(failed.Message, failed);
                }

                while (!data.IsEmpty && _bufferedBytes < MaxUnacknowledgedBytes)
                {
                    var size = (int)Math.Min(Math.Min(data.Length, MaxChunkBytes), MaxUnacknowledgedBytes - _bufferedBytes);
                    Append(new FlowChunk(_nextSequence++, CopyToPooled(data.Span[..size])));
                    _bufferedBytes += size;
                    data = data[size..];
                }

                _chunkAdded.TrySetResult();
                if (data.IsEmpty)
                {
                    return;
                }

                wait = _roomFreed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes when everything written so far has been acknowledged (a flush, end to end).</summary>
    public Task WhenAllAcknowledgedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Acknowledged == _nextSequence)
            {
                return Task.CompletedTask;
            }

            if (_allAcknowledged.Task.IsCompleted)
            {
                _allAcknowledged = NewSignal();
            }

            return _allAcknowledged.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The next chunk the current path has not carried yet, if any.</summary>
    public bool TryTakeNext(out FlowChunk chunk) => TryTakeNext(out chunk, out _);

    /// <summary>The next chunk not carried yet; <paramref name="drained"/> when it was the last one waiting (ask for an ack now).</summary>
    public bool TryTakeNext(out FlowChunk chunk, out bool drained)
    {
        lock (_lock)
        {
            if (!HasNextToSend)
            {
                chunk = default;
                drained = true;
                return false;
            }

            chunk = _ring[(_head + _taken) & (_ring.Length - 1)];
            _taken++;
            _takenUpTo = Math.Max(_takenUpTo, chunk.Sequence + 1);
            drained = !HasNextToSend;
            return true;
        }
    }

    /// <summary>Why the flow failed for good, once it has.</summary>
    public Exception? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failed;
            }
        }
    }

    /// <summary>The flow failed for good (<paramref name="reason"/>): a writer waiting for room stops waiting and hears why, as does every later write.</summary>
    public void Fail(Exception reason)
    {
        lock (_lock)
        {
            _failed ??= reason;
            _roomFreed.TrySetResult();
            _roomFreed = NewSignal();
        }
    }

    /// <summary>Whether the egress holds the flow now (see <see cref="Hold"/>).</summary>
    public bool Held
    {
        get
        {
            lock (_lock)
            {
                return _heldFrom is not null;
            }
        }
    }

    /// <summary>Held, and everything sent before the hold is acknowledged: the flow waits on its subscriber, not on a path.</summary>
    public bool WaitingOnSubscriber
    {
        get
        {
            lock (_lock)
            {
                return _heldFrom is { } held && Acknowledged >= held;
            }
        }
    }

    /// <summary>
    /// The egress holds as much of the flow as it will (its subscriber is behind): nothing is sent past what some path
    /// has already taken (that much, resent on a new path after a failover, the egress still takes) until
    /// <see cref="Release"/>. The writer waits once the unacknowledged buffer is full, as for any slow path.
    /// </summary>
    public void Hold()
    {
        lock (_lock)
        {
            _heldFrom ??= _takenUpTo;
        }
    }

    /// <summary>The egress has room again: sending resumes.</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_heldFrom is not null)
            {
                _heldFrom = null;
                _chunkAdded.TrySetResult();
            }
        }
    }

    /// <summary>Completes when a chunk is waiting to be sent.</summary>
    public Task WaitForDataAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (HasNextToSend)
            {
                return Task.CompletedTask;
            }

            if (_chunkAdded.Task.IsCompleted)
            {
                _chunkAdded = NewSignal();
            }

            return _chunkAdded.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A cumulative ack: chunks before <paramref name="nextExpected"/> are delivered. Stale or repeated acks are harmless.</summary>
    public void Acknowledge(ulong nextExpected)
    {
        lock (_lock)
        {
            if (nextExpected > _nextSequence)
            {
                if (!_acksMayLead)
                {
                    throw new InvalidOperationException($"Ack for {nextExpected} beyond the {_nextSequence} chunks sent.");
                }

                // Resumed: the egress already holds chunks the engine has not re-sent here yet; they are passed over when they come.
                _nextSequence = nextExpected;
                _takenUpTo = Math.Max(_takenUpTo, nextExpected);
            }

            var freed = false;
            while (_count > 0 && _headSequence < nextExpected)
            {
                var first = _ring[_head];
                _ring[_head] = default;
                _head = (_head + 1) & (_ring.Length - 1);
                _count--;
                _headSequence++;
                _taken = Math.Max(0, _taken - 1);
                _bufferedBytes -= first.Payload.Length;

                // A path being abandoned may still be sending this chunk; if that copy ever arrives it
                // carries an acknowledged sequence, so the egress drops it as a duplicate whatever it holds.
                if (MemoryMarshal.TryGetArray(first.Payload, out var segment))
                {
                    ChunkArrays.Pool.Return(segment.Array!);
                }
                freed = true;
            }

            if (_count == 0)
            {
                _headSequence = _nextSequence; // after a leading ack, the next chunk written is the head
            }

            if (nextExpected > Acknowledged)
            {
                Acknowledged = nextExpected;
                _acknowledgedMore.TrySetResult();
            }

            if (Acknowledged == _nextSequence)
            {
                _allAcknowledged.TrySetResult();
            }

            if (freed)
            {
                _roomFreed.TrySetResult();
                _roomFreed = NewSignal();
            }
        }
    }

    /// <summary>Failover: the next path starts again from the first unacknowledged chunk. Returns that sequence.</summary>
    public ulong Rewind()
    {
        lock (_lock)
        {
            _taken = 0;
            return _headSequence;
        }
    }

    /// <summary>Whether a chunk waits that the current path has not taken and the egress does not hold back (under the lock).</summary>
    private bool HasNextToSend => _taken < _count && !(_headSequence + (ulong)_taken >= _heldFrom);

    /// <summary>Adds a chunk at the end of the ring, doubling it when full (under the lock).</summary>
    private void Append(FlowChunk chunk)
    {
        if (_count == _ring.Length)
        {
            var larger = new FlowChunk[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                larger[i] = _ring[(_head + i) & (_ring.Length - 1)];
            }

            _ring = larger;
            _head = 0;
        }

        _ring[(_head + _count) & (_ring.Length - 1)] = chunk;
        _count++;
    }

    /// <summary>A copy in an array of <see cref="ChunkArrays"/>, given back when acknowledged: no garbage per chunk.</summary>
    private static ReadOnlyMemory<byte> CopyToPooled(ReadOnlySpan<byte> data)
    {
        var copy = ChunkArrays.Pool.Rent(data.Length);
        data.CopyTo(copy);
        return copy.AsMemory(0, data.Length);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
