namespace Msdn.Client.Framing;

/// <summary>
/// Size limits enforced from the length prefix, before anything is allocated or parsed: a peer cannot
/// make a relay buffer more than <see cref="MaxFrameBytes"/> for one frame or parse a control message
/// larger than <see cref="MaxControlBytes"/>.
/// </summary>
public sealed record FrameLimits
{
    public int MaxFrameBytes { get; init; } = 1024 * 1024;

    public int MaxControlBytes { get; init; } = 16 * 1024;

    public static FrameLimits Default { get; } = new();

    /// <summary>
    /// For a connection's or stream's first frame, which must be a control message (a Hello, an Open): a
    /// stranger that sends a large length prefix and then nothing pins at most one control message's bytes.
    /// </summary>
    public static FrameLimits Handshake { get; } = new() { MaxFrameBytes = 1 + (16 * 1024) };
}
