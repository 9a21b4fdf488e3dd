using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>No connection to a peer room's relay could be made (refused, cut, failed authentication).</summary>
internal sealed class PeerUnreachableException(RoomId room, string message, Exception? reason) : IOException(message, reason)
{
    public RoomId Room { get; } = room;
}
