namespace Msdn.Overlay.Transport;

/// <summary>The connection to a peer relay failed under a stream: the peer died or the network between broke.</summary>
internal sealed class RelayConnectionLostException(string message, Exception? reason) : IOException(message, reason);
