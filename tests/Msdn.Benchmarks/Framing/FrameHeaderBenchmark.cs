using System.Buffers;
using BenchmarkDotNet.Attributes;
using MessagePack;
using Msdn.Client.Framing;

namespace Msdn.Benchmarks.Framing;

/// <summary>
/// The data-frame header decision: the fixed 17-byte binary header read as a zero-copy slice (what
/// <see cref="FrameCodec"/> does) against the same frame as a MessagePack object with its payload
/// copied out. Decoding a 1 KiB data frame, and encoding one.
/// </summary>
[MemoryDiagnoser]
public class FrameHeaderBenchmark
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private byte[] _payload = [];
    private byte[] _fixed = [];
    private byte[] _messagePack = [];

    [Params(1024)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = [.. Enumerable.Range(0, PayloadBytes).Select(i => (byte)i)];
        FrameCodec.Write(_writer, Frame.Data(42, 1_000_000, new ReadOnlySequence<byte>(_payload)));
        _fixed = _writer.WrittenSpan.ToArray();
        _messagePack = MessagePackSerializer.Serialize(new DataFrameMessage(42, 1_000_000, _payload), Options);
    }

    [Benchmark(Baseline = true)]
    public long DecodeFixed()
    {
        var buffer = new ReadOnlySequence<byte>(_fixed);
        FrameCodec.TryRead(ref buffer, FrameLimits.Default, out var frame);
        return frame.Payload.Length + (long)frame.Sequence;
    }

    [Benchmark]
    public long DecodeMessagePack()
    {
        var frame = MessagePackSerializer.Deserialize<DataFrameMessage>(_messagePack, Options);
        return frame.Payload.Length + (long)frame.Sequence;
    }

    [Benchmark]
    public int EncodeFixed()
    {
        _writer.ResetWrittenCount();
        FrameCodec.Write(_writer, Frame.Data(42, 1_000_000, new ReadOnlySequence<byte>(_payload)));
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int EncodeMessagePack()
    {
        _writer.ResetWrittenCount();
        MessagePackSerializer.Serialize(_writer, new DataFrameMessage(42, 1_000_000, _payload), Options);
        return _writer.WrittenCount;
    }
}

[MessagePackObject]
public sealed record DataFrameMessage([property: Key(0)] ulong FlowId, [property: Key(1)] ulong Sequence, [property: Key(2)] byte[] Payload);
