using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Overlay.Flows;

namespace Msdn.Overlay.Tests.Flows;

/// <summary>
/// Ingress and egress of one flow across a hostile network: chunks lost, duplicated and reordered, acks
/// lost and stale, failovers that rewind to the last ack while the old path's tail still trickles in.
/// However the dice fall, once a clean path is back the egress has delivered exactly the bytes written,
/// in order, once.
/// </summary>
public sealed class FlowDeliveryPropertyTests
{
    public sealed record FaultSchedule(int Seed, int Bytes, int LossPercent, int DuplicatePercent, int ReorderPercent, int FailoverPermille, int AckLossPercent)
    {
        public override string ToString() =>
            $"seed {Seed}, {Bytes} bytes, loss {LossPercent}%, dup {DuplicatePercent}%, reorder {ReorderPercent}%, failover {FailoverPermille}‰, ack loss {AckLossPercent}%";
    }

    public static Arbitrary<FaultSchedule> Schedules() =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from bytes in Gen.Choose(0, 300_000)
         from loss in Gen.Choose(0, 40)
         from dup in Gen.Choose(0, 30)
         from reorder in Gen.Choose(0, 50)
         from failover in Gen.Choose(0, 50)
         from ackLoss in Gen.Choose(0, 60)
         select new FaultSchedule(seed, bytes, loss, dup, reorder, failover, ackLoss)).ToArbitrary();

    [Property(Arbitrary = [typeof(FlowDeliveryPropertyTests)], MaxTest = 300)]
    public async Task<bool> Delivered_equals_sent_in_order_once(FaultSchedule schedule)
    {
        var random = new Random(schedule.Seed);
        var sent = new byte[schedule.Bytes];
        random.NextBytes(sent);
        var delivered = new List<byte>();
        var sender = new FlowSender(maxChunkBytes: 1000, maxUnacknowledgedBytes: long.MaxValue);
        var receiver = new FlowReceiver(chunk => delivered.AddRange(chunk.ToArray()), maxEarlyChunks: 64);

        // The writer hands its bytes over in irregular pieces.
        for (var at = 0; at < sent.Length;)
        {
            var piece = Math.Min(sent.Length - at, random.Next(1, 5000));
            await sender.WriteAsync(sent.AsMemory(at, piece), default);
            at += piece;
        }

        var path = new List<FlowChunk>();   // in flight on the current path
        var stale = new List<FlowChunk>();  // in flight on paths given up by failover
        var acks = new List<ulong>();       // acks in flight back to the ingress
        for (var step = 0; step < 20_000 && sender.Acknowledged < sender.ChunksWritten; step++)
        {
            switch (random.Next(5))
            {
                case 0 or 1 when sender.TryTakeNext(out var chunk):
                    if (random.Next(100) >= schedule.LossPercent)
                    {
                        path.Add(chunk);
                    }

                    if (random.Next(100) < schedule.DuplicatePercent)
                    {
                        path.Add(chunk);
                    }

                    break;
                case 2 when path.Count + stale.Count > 0:
                    var fromStale = stale.Count > 0 && (path.Count == 0 || random.Next(100) < schedule.ReorderPercent);
                    var source = fromStale ? stale : path;
                    var index = fromStale || random.Next(100) >= schedule.ReorderPercent ? 0 : random.Next(source.Count);
                    var arriving = source[index];
                    source.RemoveAt(index);
                    receiver.Accept(arriving); // a chunk refused as too early stays unacknowledged and comes again
                    if (random.Next(100) >= schedule.AckLossPercent)
                    {
                        acks.Add(receiver.NextExpected);
                    }

                    break;
                case 3 when acks.Count > 0:
                    var ack = acks[random.Next(acks.Count)]; // acks may arrive stale and out of order
                    acks.Remove(ack);
                    sender.Acknowledge(ack);
                    break;
                case 4 when random.Next(1000) < schedule.FailoverPermille * 10:
                    stale.AddRange(path);
                    path.Clear();
                    sender.Rewind();
                    break;
            }
        }

        // A clean path at last: everything unacknowledged is replayed and delivered.
        sender.Rewind();
        while (sender.TryTakeNext(out var chunk))
        {
            Assert.True(receiver.Accept(chunk));
            sender.Acknowledge(receiver.NextExpected);
        }

        Assert.Equal(sent.Length, delivered.Count);
        Assert.True(sent.AsSpan().SequenceEqual(delivered.ToArray()), "delivered bytes differ from sent bytes");
        Assert.Equal(sender.ChunksWritten, sender.Acknowledged);
        Assert.Equal(0, sender.BufferedBytes);
        return true;
    }

    [Fact]
    public async Task A_full_buffer_holds_the_writer_until_acks_free_room()
    {
        var sender = new FlowSender(maxChunkBytes: 100, maxUnacknowledgedBytes: 1000);
        await sender.WriteAsync(new byte[1000], default);
        var blocked = sender.WriteAsync(new byte[300], default).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => blocked.WaitAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(1000, sender.BufferedBytes);

        sender.Acknowledge(3); // 300 bytes delivered: exactly enough room
        await blocked.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1000, sender.BufferedBytes);
    }

    [Fact]
    public async Task Rewind_replays_from_the_first_unacknowledged_chunk()
    {
        var sender = new FlowSender(maxChunkBytes: 10);
        await sender.WriteAsync(new byte[50], default);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(sender.TryTakeNext(out _));
        }

        sender.Acknowledge(2);
        Assert.Equal(2UL, sender.Rewind());
        Assert.True(sender.TryTakeNext(out var first));
        Assert.Equal(2UL, first.Sequence);
        Assert.Throws<InvalidOperationException>(() => sender.Acknowledge(6));
    }
}
