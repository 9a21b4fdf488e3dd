using System.Buffers;
using System.Runtime.InteropServices;
using Msdn.Client.Framing;
using Msdn.Overlay.Flows;

namespace Msdn.Overlay.Tests.Flows;

public sealed class FlowSenderTests
{
    [Fact]
    public async Task A_write_larger_than_the_buffer_fills_it_waits_for_acks_and_goes_on_in_order()
    {
        var sender = new FlowSender(maxChunkBytes: 100, maxUnacknowledgedBytes: 1000);
        var data = Enumerable.Range(0, 2550).Select(i => (byte)i).ToArray();
        var writing = sender.WriteAsync(data, CancellationToken.None).AsTask();

        var taken = new List<byte>();
        ulong next = 0;
        while (taken.Count < data.Length)
        {
            await sender.WaitForDataAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            while (sender.TryTakeNext(out var chunk))
            {
                Assert.Equal(next, chunk.Sequence);
                Assert.True(chunk.Payload.Length <= 100);
                taken.AddRange(chunk.Payload.ToArray());
                next = chunk.Sequence + 1;
            }

            Assert.True(sender.BufferedBytes <= 1000, $"{sender.BufferedBytes} bytes buffered past the 1000-byte bound");
            if (taken.Count < data.Length)
            {
                Assert.False(writing.IsCompleted, "the writer finished before its last bytes had room");
            }

            sender.Acknowledge(next);
        }

        await writing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(data, taken);
        Assert.Equal(0, sender.BufferedBytes);
    }

    [Fact]
    public async Task A_writer_waiting_for_room_hears_why_the_flow_failed()
    {
        var sender = new FlowSender(maxChunkBytes: 100, maxUnacknowledgedBytes: 200);
        var writing = sender.WriteAsync(new byte[500], CancellationToken.None).AsTask();
        Assert.False(writing.IsCompleted);
        sender.Fail(new InvalidOperationException("relay room-b refused the flow"));
        var error = await Assert.ThrowsAsync<IOException>(() => writing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("refused the flow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handed_over_chunk_is_sent_from_its_own_array_and_one_passed_over_stays_the_callers()
    {
        var sender = new FlowSender(maxChunkBytes: 100, maxUnacknowledgedBytes: 1000);
        var first = ChunkArrays.CopyOf(new ReadOnlySequence<byte>([1, 2, 3]));
        var again = ChunkArrays.CopyOf(new ReadOnlySequence<byte>([1, 2, 3]));
        var written = new byte[] { 4, 5 };

        Assert.True(await sender.HandOverChunkAsync(0, first, CancellationToken.None));
        Assert.False(await sender.HandOverChunkAsync(0, again, CancellationToken.None)); // a re-sent chunk: passed over, not kept
        Assert.True(await sender.WriteChunkAsync(1, written, CancellationToken.None));
        written[0] = 99; // a written chunk was copied: its writer may reuse its buffer

        Assert.True(sender.TryTakeNext(out var sent));
        Assert.True(MemoryMarshal.TryGetArray(sent.Payload, out var sentArray));
        Assert.True(MemoryMarshal.TryGetArray(first, out var firstArray));
        Assert.Same(firstArray.Array, sentArray.Array);
        Assert.True(sender.TryTakeNext(out var copied));
        Assert.Equal(new byte[] { 4, 5 }, copied.Payload.ToArray());
        Assert.Equal(5, sender.BufferedBytes);
        Assert.False(sender.TryTakeNext(out _));

        sender.Acknowledge(2);
        Assert.Equal(0, sender.BufferedBytes);
        ChunkArrays.Recycle(again);
    }

    [Fact]
    public async Task A_handed_over_chunk_out_of_order_is_refused_and_stays_the_callers()
    {
        var sender = new FlowSender(maxChunkBytes: 100, maxUnacknowledgedBytes: 1000);
        var chunk = ChunkArrays.CopyOf(new ReadOnlySequence<byte>([7]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sender.HandOverChunkAsync(3, chunk, CancellationToken.None).AsTask());
        Assert.Equal(0, sender.BufferedBytes);
        Assert.False(sender.TryTakeNext(out _));
        ChunkArrays.Recycle(chunk);
    }
}
