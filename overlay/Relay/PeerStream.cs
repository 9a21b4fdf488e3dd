namespace Msdn.Overlay.Relay;

/// <summary>A stream to a peer room, with the relay of that room it goes to (to name it should it fail).</summary>
internal readonly record struct PeerStream(Stream Stream, PeerNode Node);
