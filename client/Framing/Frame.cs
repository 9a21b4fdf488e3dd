using System.Buffers;

namespace Msdn.Client.Framing;

/// <summary>
/// One decoded frame. Data payloads are a slice of the receive buffer (no copy): valid until the reader
/// advances past it. Control frames carry their decoded message.
/// </summary>
public readonly record struct Frame(FrameKind Kind, ulong FlowId, ulong Sequence, ReadOnlySequence<byte> Payload, object? Control)
{
    public static Frame Data(ulong flowId, ulong sequence, ReadOnlySequence<byte> payload, bool ackNow = false) =>
        new(ackNow ? FrameKind.DataAckNow : FrameKind.Data, flowId, sequence, payload, null);

    public bool IsData => Kind is FrameKind.Data or FrameKind.DataAckNow;

    /// <summary>A cumulative ack: everything before <paramref name="nextExpected"/> has been delivered.</summary>
    public static Frame Ack(ulong flowId, ulong nextExpected) => new(FrameKind.Ack, flowId, nextExpected, default, null);

    /// <summary>A cumulative ack that also asks the sender to hold what follows (<see cref="FrameKind.AckHold"/>).</summary>
    public static Frame AckHold(ulong flowId, ulong nextExpected) => new(FrameKind.AckHold, flowId, nextExpected, default, null);

    public bool IsAck => Kind is FrameKind.Ack or FrameKind.AckHold;

    public static Frame Open(OpenFlow open) => new(FrameKind.Open, open.FlowId, open.ResumeFrom, default, open);

    public static Frame Close(CloseFlow close) => new(FrameKind.Close, close.FlowId, 0, default, close);

    public static Frame Hello(ClientHello hello) => new(FrameKind.Hello, 0, 0, default, hello);

    public static Frame Accepted(FlowAccepted accepted) => new(FrameKind.Accepted, accepted.FlowId, 0, default, accepted);

    public static Frame Ping(Ping ping) => new(FrameKind.Ping, 0, ping.Nonce, default, ping);
}
