namespace Msdn.Overlay.Relay;

/// <summary>A flow this relay delivered goes on through another relay of the room: its forwarding here stops without an end.</summary>
internal sealed class FlowMovedException(string message) : IOException(message);
