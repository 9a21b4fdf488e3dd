using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Msdn.Client.Framing;

/// <summary>
/// Arrays for flow chunks, reused. A bulk flow moves its bytes in chunks of about 16 KiB, and a fresh
/// array per chunk (where a data frame's payload is read, and where the ingress keeps what is not yet
/// acknowledged) was most of what a relay allocated: as many bytes as it moved. A chunk read from a data
/// frame lives in a pooled array; whoever reads it last gives it back with <see cref="Recycle"/> (a chunk
/// never given back is simply collected). What the pool keeps is bounded: at most 1,024 arrays of each
/// size (16 MiB of 16 KiB arrays).
/// </summary>
internal static class ChunkArrays
{
    private const int Largest = 64 * 1024;

    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(maxArrayLength: Largest, maxArraysPerBucket: 1024);

    /// <summary>A copy of <paramref name="payload"/> in a pooled array.</summary>
    public static ReadOnlyMemory<byte> CopyOf(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var array = Pool.Rent((int)payload.Length);
        payload.CopyTo(array);
        return array.AsMemory(0, (int)payload.Length);
    }

    /// <summary>Gives back a chunk from <see cref="CopyOf"/> that nothing reads any more; anything else is left to the collector.</summary>
    public static void Recycle(ReadOnlyMemory<byte> chunk)
    {
        // Only arrays of the pool's sizes can be its own: a chunk made elsewhere (a test's, a copy) of another size is not taken.
        if (MemoryMarshal.TryGetArray(chunk, out var segment) && segment.Array is { Length: >= 16 and <= Largest } array && BitOperations.IsPow2(array.Length))
        {
            Pool.Return(array);
        }
    }
}
