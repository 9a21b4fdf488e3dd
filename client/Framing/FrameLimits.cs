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
}
