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
}
