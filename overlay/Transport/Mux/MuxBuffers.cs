using System.Buffers;

namespace Msdn.Overlay.Transport.Mux;

/// <summary>
/// The buffers the multiplexer's pipes are made of. A bulk stream keeps up to its whole window (1 MiB)
/// of received data waiting in its pipe, far more arrays of one size than the shared array pool keeps per
/// core: past that, every segment would be a fresh allocation (measured: most of what a transit relay
/// allocated). This pool keeps enough for several full windows, and no more: what it retains is bounded
/// by <see cref="ArraysPerSize"/> arrays of each size.
/// </summary>
internal sealed class MuxBuffers : MemoryPool<byte>
{
    /// <summary>Segment size of every multiplexer pipe: a whole data frame (16 KiB) plus headers fits one segment.</summary>
    public const int SegmentBytes = 32 * 1024;

    public const int ArraysPerSize = 512;

    private readonly ArrayPool<byte> _arrays = ArrayPool<byte>.Create(maxArrayLength: 128 * 1024, maxArraysPerBucket: ArraysPerSize);

    /// <summary>Leases given back, reused: a pipe rents one per segment, and a bulk stream goes through thousands a second.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<Lease> _leases = new();

    private MuxBuffers()
    {
    }

    public static MuxBuffers Pool { get; } = new();

    public override int MaxBufferSize => 128 * 1024;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        var array = _arrays.Rent(minBufferSize <= 0 ? SegmentBytes : minBufferSize);
        if (!_leases.TryDequeue(out var lease))
        {
            lease = new Lease(this);
        }

        lease.Hold(array);
        return lease;
    }

    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// One rented array, given back once; then the lease itself is reused. A pipe disposes each segment's lease
    /// exactly once and never touches it again, so reuse cannot hand one holder's array to another.
    /// </summary>
    private sealed class Lease(MuxBuffers pool) : IMemoryOwner<byte>
    {
        private byte[]? _array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Lease));

        public void Hold(byte[] array) => _array = array;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned)
            {
                pool._arrays.Return(returned);
                if (pool._leases.Count < ArraysPerSize)
                {
                    pool._leases.Enqueue(this);
                }
            }
        }
    }
}
