namespace Msdn.Client.Framing;

/// <summary>What a frame carries. Data and Ack have fixed binary bodies; the rest are MessagePack control messages.</summary>
public enum FrameKind : byte
{
    Open = 1,
    Data = 2,
    Ack = 3,
    Close = 4,
    Ping = 5,

    /// <summary>A media engine's first frame on the client port: its token and what it wants.</summary>
    Hello = 6,

    /// <summary>
    /// Data after which the sender has nothing more queued: acknowledge now. Plain Data frames are
    /// acknowledged in batches, so a streaming flow costs one ack per batch, not one per frame.
    /// </summary>
    DataAckNow = 7,

    /// <summary>
    /// An ack (as <see cref="Ack"/>) that also says the flow's subscriber is behind: the egress holds as much of the
    /// flow as it will, so the ingress sends nothing past it until a plain <see cref="Ack"/> says there is room again.
    /// </summary>
    AckHold = 8,

    /// <summary>A relay's answer to a media engine opening (or resuming) a flow: <see cref="FlowAccepted"/>.</summary>
    Accepted = 9,
}
