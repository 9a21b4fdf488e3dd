using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace Msdn.Client.Framing;

/// <summary>
/// Length-prefixed frames: <c>length u32 (of what follows) | kind u8 | body</c>, little-endian.
/// Data: <c>flow u64 | sequence u64 | payload</c>, a fixed 17-byte header read as a zero-copy slice
/// (chosen over MessagePack by <c>FrameHeaderBenchmark</c>). Ack and AckHold: <c>flow u64 | next expected u64</c>.
/// Open, Close, Ping, Hello, Accepted: MessagePack. Limits are checked on the length prefix before anything is buffered
/// or parsed; every malformed frame is a <see cref="FrameFormatException"/>.
/// </summary>
public static class FrameCodec
{
    public const int PrefixBytes = 4;
    public const int DataHeaderBytes = 1 + 8 + 8;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static void Write(IBufferWriter<byte> writer, in Frame frame)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (frame.Kind)
        {
            case FrameKind.Data or FrameKind.DataAckNow:
                WriteFixed(writer, frame.Kind, frame.FlowId, frame.Sequence, frame.Payload);
                break;
            case FrameKind.Ack or FrameKind.AckHold:
                WriteFixed(writer, frame.Kind, frame.FlowId, frame.Sequence, default);
                break;
            case FrameKind.Open or FrameKind.Close or FrameKind.Ping or FrameKind.Hello or FrameKind.Accepted:
                WriteControl(writer, frame.Kind, frame.Control ?? throw new ArgumentException("A control frame needs its message.", nameof(frame)));
                break;
            default:
                throw new ArgumentException($"Unknown frame kind {frame.Kind}.", nameof(frame));
        }
    }

    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/> and slices it off; false when the
    /// buffer does not yet hold a whole frame. Throws <see cref="FrameFormatException"/> on anything malformed.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, FrameLimits limits, out Frame frame)
    {
        ArgumentNullException.ThrowIfNull(limits);
        frame = default;
        if (buffer.Length < PrefixBytes)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[PrefixBytes];
        buffer.Slice(0, PrefixBytes).CopyTo(prefix);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        if (length == 0 || length > (uint)limits.MaxFrameBytes)
        {
            throw new FrameFormatException($"Frame length {length} is outside 1..{limits.MaxFrameBytes}.");
        }

        if (buffer.Length < PrefixBytes + length)
        {
            return false;
        }

        var body = buffer.Slice(PrefixBytes, length);
        frame = Decode(body, limits);
        buffer = buffer.Slice(PrefixBytes + length);
        return true;
    }

    private static Frame Decode(ReadOnlySequence<byte> body, FrameLimits limits)
    {
        Span<byte> kindByte = stackalloc byte[1];
        body.Slice(0, 1).CopyTo(kindByte);
        var kind = (FrameKind)kindByte[0];
        var rest = body.Slice(1);
        switch (kind)
        {
            case FrameKind.Data or FrameKind.DataAckNow or FrameKind.Ack or FrameKind.AckHold:
                if (rest.Length < 16 || (kind is FrameKind.Ack or FrameKind.AckHold && rest.Length != 16))
                {
                    throw new FrameFormatException($"{kind} frame of {body.Length} bytes is malformed.");
                }

                Span<byte> header = stackalloc byte[16];
                rest.Slice(0, 16).CopyTo(header);
                var flow = BinaryPrimitives.ReadUInt64LittleEndian(header);
                var sequence = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
                return kind switch
                {
                    FrameKind.Ack => Frame.Ack(flow, sequence),
                    FrameKind.AckHold => Frame.AckHold(flow, sequence),
                    _ => Frame.Data(flow, sequence, rest.Slice(16), kind == FrameKind.DataAckNow),
                };
            case FrameKind.Open or FrameKind.Close or FrameKind.Ping or FrameKind.Hello or FrameKind.Accepted:
                if (rest.Length > limits.MaxControlBytes)
                {
                    throw new FrameFormatException($"{kind} message of {rest.Length} bytes exceeds {limits.MaxControlBytes}.");
                }

                return DecodeControl(kind, rest);
            default:
                throw new FrameFormatException($"Unknown frame kind {(byte)kind}.");
        }
    }

    private static Frame DecodeControl(FrameKind kind, ReadOnlySequence<byte> message)
    {
        try
        {
            return kind switch
            {
                FrameKind.Open => Frame.Open(Validated(MessagePackSerializer.Deserialize<OpenFlow>(message, Options))),
                FrameKind.Close => Frame.Close(MessagePackSerializer.Deserialize<CloseFlow>(message, Options) is { Reason: not null } close ? close : throw new FrameFormatException("Close message is missing a field.")),
                FrameKind.Hello => Frame.Hello(MessagePackSerializer.Deserialize<ClientHello>(message, Options) is { Token: not null, Room: not null, Endpoint: not null } hello && Enum.IsDefined(hello.Operation) ? hello : throw new FrameFormatException("Hello message is missing a field or names no known operation.")),
                FrameKind.Accepted => Frame.Accepted(MessagePackSerializer.Deserialize<FlowAccepted>(message, Options) is { Ticket: not null } accepted ? accepted : throw new FrameFormatException("Accepted message is missing a field.")),
                _ => Frame.Ping(MessagePackSerializer.Deserialize<Ping>(message, Options) ?? throw new FrameFormatException("Empty ping message.")),
            };
        }
        catch (MessagePackSerializationException e)
        {
            throw new FrameFormatException($"Malformed {kind} message: {e.Message}", e);
        }
    }

    private static OpenFlow Validated(OpenFlow? open)
    {
        if (open is null || open.Source is null || open.Destination is null || open.Endpoint is null || open.Path is null || open.Path.Any(hop => hop is null))
        {
            throw new FrameFormatException("Open message is missing a field.");
        }

        return open;
    }

    /// <summary>The prefix and fixed header of a data (or ack) frame: <see cref="PrefixBytes"/> + <see cref="DataHeaderBytes"/> bytes, the payload to follow.</summary>
    internal static void WriteFixedHeader(Span<byte> span, FrameKind kind, ulong flow, ulong sequence, long payloadLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, checked((uint)(DataHeaderBytes + payloadLength)));
        span[PrefixBytes] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(span[(PrefixBytes + 1)..], flow);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(PrefixBytes + 9)..], sequence);
    }

    private static void WriteFixed(IBufferWriter<byte> writer, FrameKind kind, ulong flow, ulong sequence, ReadOnlySequence<byte> payload)
    {
        WriteFixedHeader(writer.GetSpan(PrefixBytes + DataHeaderBytes), kind, flow, sequence, payload.Length);
        writer.Advance(PrefixBytes + DataHeaderBytes);
        foreach (var segment in payload)
        {
            writer.Write(segment.Span);
        }
    }

    private static void WriteControl(IBufferWriter<byte> writer, FrameKind kind, object message)
    {
        var bytes = kind switch
        {
            FrameKind.Open => MessagePackSerializer.Serialize((OpenFlow)message, Options),
            FrameKind.Close => MessagePackSerializer.Serialize((CloseFlow)message, Options),
            FrameKind.Hello => MessagePackSerializer.Serialize((ClientHello)message, Options),
            FrameKind.Accepted => MessagePackSerializer.Serialize((FlowAccepted)message, Options),
            _ => MessagePackSerializer.Serialize((Ping)message, Options),
        };
        var span = writer.GetSpan(PrefixBytes + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span, checked((uint)(1 + bytes.Length)));
        span[PrefixBytes] = (byte)kind;
        writer.Advance(PrefixBytes + 1);
        writer.Write(bytes);
    }
}
