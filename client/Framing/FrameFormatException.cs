namespace Msdn.Client.Framing;

/// <summary>
/// A malformed, oversized or unknown frame. The connection that sent it is closed; the relay, and every
/// other connection and flow, carry on.
/// </summary>
public sealed class FrameFormatException(string message, Exception? inner = null) : Exception(message, inner);
