using System.Buffers;
using FsCheck;
using FsCheck.Xunit;
using Msdn.Client.Framing;

namespace Msdn.Overlay.Tests.Framing;

[Properties(Arbitrary = [typeof(FrameGenerators)], MaxTest = 300)]
public sealed class FrameCodecPropertyTests
{
    [Property]
    public bool Frames_round_trip_even_when_split_across_segments(Frame frame, PositiveInt chunk)
    {
        var bytes = Encode(frame);
        var buffer = Segments.Split(bytes, 1 + (chunk.Get % 13));
        Assert.True(FrameCodec.TryRead(ref buffer, FrameLimits.Default, out var decoded));
        Assert.Equal(0, buffer.Length);
        Assert.Equal(frame.Kind, decoded.Kind);
        Assert.Equal(frame.FlowId, decoded.FlowId);
        Assert.Equal(frame.Sequence, decoded.Sequence);
        Assert.Equal(frame.Payload.ToArray(), decoded.Payload.ToArray());
        switch (frame.Control)
        {
            case OpenFlow open:
                var got = Assert.IsType<OpenFlow>(decoded.Control);
                Assert.Equal(open with { Path = [], Avoid = null }, got with { Path = [], Avoid = null });
                Assert.Equal(open.Path, got.Path);
                Assert.Equal(open.Avoid, got.Avoid);
                break;
            case null:
                Assert.Null(decoded.Control);
                break;
            default:
                Assert.Equal(frame.Control, decoded.Control);
                break;
        }

        return true;
    }

    [Property]
    public bool Truncated_frames_are_incomplete_not_errors(Frame frame, PositiveInt cut)
    {
        var bytes = Encode(frame);
        var buffer = new ReadOnlySequence<byte>(bytes, 0, cut.Get % bytes.Length);
        return !FrameCodec.TryRead(ref buffer, FrameLimits.Default, out _);
    }

    [Property(MaxTest = 2000)]
    public bool Random_bytes_decode_or_fail_with_the_typed_error(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        try
        {
            while (FrameCodec.TryRead(ref buffer, new FrameLimits { MaxFrameBytes = 4096 }, out _))
            {
            }
        }
        catch (FrameFormatException)
        {
        }

        return true;
    }

    [Property(MaxTest = 1000)]
    public bool Corrupted_frames_decode_or_fail_with_the_typed_error(Frame frame, int position, byte value)
    {
        var bytes = Encode(frame);
        bytes[Math.Abs(position % bytes.Length)] = value;
        var buffer = new ReadOnlySequence<byte>(bytes);
        try
        {
            FrameCodec.TryRead(ref buffer, FrameLimits.Default, out _);
        }
        catch (FrameFormatException)
        {
        }

        return true;
    }

    [Fact]
    public void An_oversized_length_is_refused_before_the_frame_arrives()
    {
        var prefixOnly = new ReadOnlySequence<byte>(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F });
        var error = Assert.Throws<FrameFormatException>(() => FrameCodec.TryRead(ref prefixOnly, FrameLimits.Default, out _));
        Assert.Contains("2147483647", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_control_message_is_refused()
    {
        var open = Frame.Open(new OpenFlow(1, "a", "b", "e", [.. Enumerable.Repeat(new string('x', 100), 200)], 0));
        var buffer = new ReadOnlySequence<byte>(Encode(open));
        Assert.Throws<FrameFormatException>(() => FrameCodec.TryRead(ref buffer, new FrameLimits { MaxControlBytes = 1024 }, out _));
    }

    [Fact]
    public void Data_payload_is_a_slice_of_the_receive_buffer()
    {
        var bytes = Encode(Frame.Data(7, 9, new ReadOnlySequence<byte>([1, 2, 3])));
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(FrameCodec.TryRead(ref buffer, FrameLimits.Default, out var frame));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame.Payload.First, out var segment));
        Assert.Same(bytes, segment.Array);
    }

    private static byte[] Encode(Frame frame)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(writer, frame);
        return writer.WrittenSpan.ToArray();
    }
}

/// <summary>Builds multi-segment sequences, as a socket's pipe delivers them.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, int chunk)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segments(bytes.AsMemory(0, Math.Min(chunk, bytes.Length)), 0);
        var last = first;
        for (var at = chunk; at < bytes.Length; at += chunk)
        {
            var next = new Segments(bytes.AsMemory(at, Math.Min(chunk, bytes.Length - at)), at);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
