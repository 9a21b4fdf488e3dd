using System.Runtime.InteropServices;
using Msdn.Client.Framing;

namespace Msdn.Client;

/// <summary>
/// A flow's chunks its destination has not acknowledged yet, numbered from 0, in pooled copies: what the flow sends
/// again when it resumes at another relay. Bounded: past <c>maxBytes</c> a new chunk waits for an ack.
/// </summary>
internal sealed class UnacknowledgedChunks(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly Queue<Chunk> _chunks = new();
    private ulong _next;
    private long _bytes;
    private TaskCompletionSource _room = NewSignal();

    /// <summary>The first chunk not acknowledged (the next one written when all are).</summary>
    public ulong From
    {
        get
        {
            lock (_lock)
            {
                return _chunks.TryPeek(out var first) ? first.Sequence : _next;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Keeps a copy of <paramref name="piece"/> as the next chunk; false (and a task to wait on) while it would pass the bound.</summary>
    public bool TryAdd(ReadOnlyMemory<byte> piece, out Chunk chunk, out Task room)
    {
        lock (_lock)
        {
            if (_bytes > 0 && _bytes + piece.Length > maxBytes)
            {
                if (_room.Task.IsCompleted)
                {
                    _room = NewSignal();
                }

                chunk = default;
                room = _room.Task;
                return false;
            }

            var copy = ChunkArrays.Pool.Rent(piece.Length);
            piece.Span.CopyTo(copy);
            chunk = new Chunk(_next++, copy.AsMemory(0, piece.Length));
            _chunks.Enqueue(chunk);
            _bytes += piece.Length;
            room = Task.CompletedTask;
            return true;
        }
    }

    /// <summary>A cumulative ack: chunks before <paramref name="nextExpected"/> arrived, and are let go.</summary>
    public void Acknowledge(ulong nextExpected)
    {
        lock (_lock)
        {
            while (_chunks.TryPeek(out var first) && first.Sequence < nextExpected)
            {
                _chunks.Dequeue();
                _bytes -= first.Payload.Length;
                Recycle(first);
            }

            _room.TrySetResult();
        }
    }

    /// <summary>The chunks to send again, in order (only while no ack can arrive: no connection listens).</summary>
    public Chunk[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _chunks];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            while (_chunks.TryDequeue(out var chunk))
            {
                Recycle(chunk);
            }

            _bytes = 0;
            _room.TrySetResult();
        }
    }

    private static void Recycle(Chunk chunk)
    {
        if (MemoryMarshal.TryGetArray(chunk.Payload, out var segment))
        {
            ChunkArrays.Pool.Return(segment.Array!);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public readonly record struct Chunk(ulong Sequence, ReadOnlyMemory<byte> Payload);
}
