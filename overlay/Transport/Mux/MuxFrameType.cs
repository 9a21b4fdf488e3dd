namespace Msdn.Overlay.Transport.Mux;

/// <summary>
/// Frames of the TCP + TLS stream multiplexer: <c>type u8 | stream id u32 | length u32 | payload</c>.
/// Window frames carry no payload: their length is the credit granted.
/// </summary>
internal enum MuxFrameType : byte
{
    Open = 0,
    Data = 1,
    Fin = 2,
    Window = 3,
    Reset = 4,
}

internal static class MuxLimits
{
    public const int HeaderBytes = 9;
    public const int MaxPayload = 16 * 1024;

    /// <summary>Bytes a stream may have in flight before the reader grants more: bounds every receive buffer.</summary>
    public const int InitialWindow = 1024 * 1024;
}
