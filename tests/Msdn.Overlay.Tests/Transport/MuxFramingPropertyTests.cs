using System.Buffers;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Client.Framing;
using Msdn.Overlay.Tests.Framing;
using Msdn.Overlay.Transport;
using Msdn.Overlay.Transport.Mux;

namespace Msdn.Overlay.Tests.Transport;

/// <summary>
/// Frames written in batches over a multiplexed stream (data frames gathered as header + payload, others
/// encoded together) and parsed from the stream's own pipe on the other side come out as they went in:
/// same frames, same order, same bytes, whatever their sizes (payloads of one frame's size, larger than a
/// multiplexer frame, split across segments, empty) and however the batches mix them.
/// </summary>
public sealed class MuxFramingPropertyTests
{
    [Property(Arbitrary = [typeof(FrameShape)], MaxTest = 40)]
    public async Task Batches_of_frames_cross_a_mux_stream_unchanged(NonEmptyArray<NonEmptyArray<FrameShape>> batches, int seed)
    {
        var (a, b) = InProcessDuplex.Pair();
        await using var left = new MuxConnection(a, isClient: true, new IPEndPoint(IPAddress.Loopback, 1));
        await using var right = new MuxConnection(b, isClient: false, new IPEndPoint(IPAddress.Loopback, 2));
        var writing = new FrameStream(await left.OpenStreamAsync(default), FrameLimits.Default);
        var reading = new FrameStream(await right.AcceptStreamAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10)), FrameLimits.Default);
        var random = new Random(seed);
        var sent = batches.Get.Select(batch => batch.Get.Select((shape, i) => shape.Build(random, (ulong)i)).ToList()).ToList();

        var receiving = Task.Run(async () =>
        {
            var got = new List<(Frame Frame, byte[] Payload)>();
            while (await reading.ReadAsync(default) is { } read)
            {
                got.Add((read.Frame, read.Payload.ToArray()));
            }

            return got;
        });
        foreach (var batch in sent)
        {
            await writing.WriteAsync(batch, default);
        }

        await writing.Stream.CompleteWritesAsync();
        var received = await receiving.WaitAsync(TimeSpan.FromSeconds(30));

        var expected = sent.SelectMany(batch => batch).ToList();
        Assert.Equal(expected.Count, received.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Kind, received[i].Frame.Kind);
            Assert.Equal(expected[i].FlowId, received[i].Frame.FlowId);
            Assert.Equal(expected[i].Sequence, received[i].Frame.Sequence);
            Assert.Equal(expected[i].Payload.ToArray(), received[i].Payload);
        }
    }

    /// <summary>What one frame of a batch is: its kind and, for data, its payload's size and how many segments it comes in.</summary>
    public sealed record FrameShape(int Kind, int PayloadBytes, bool Split)
    {
        public static Arbitrary<FrameShape> Arbitrary() =>
            (from kind in Gen.Choose(0, 9)
             from bytes in Gen.OneOf(Gen.Constant(0), Gen.Constant((16 * 1024) - 64), Gen.Constant(16 * 1024), Gen.Choose(1, 40 * 1024))
             from split in ArbMap.Default.GeneratorFor<bool>()
             select new FrameShape(kind, bytes, split)).ToArbitrary();

        public Frame Build(Random random, ulong sequence)
        {
            if (Kind == 0)
            {
                return Frame.Ack(7, sequence);
            }

            if (Kind == 1)
            {
                return Frame.Close(new CloseFlow(7, "done"));
            }

            var payload = new byte[PayloadBytes];
            random.NextBytes(payload);
            return Frame.Data(7, sequence, Split && PayloadBytes > 1 ? Segments.Split(payload, PayloadBytes / 2) : new ReadOnlySequence<byte>(payload), ackNow: Kind == 2);
        }
    }
}
