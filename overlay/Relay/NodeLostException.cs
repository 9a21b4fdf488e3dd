using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>
/// One relay of a room on the path died or drains under a flow while another relay of that room can take its
/// place: the flow takes the same path again, avoiding <see cref="Node"/>, before it would leave the room.
/// </summary>
internal sealed class NodeLostException(RoomId room, string node, string message, Exception? reason = null) : IOException(message, reason)
{
    public RoomId Room { get; } = room;

    /// <summary>The relay that failed, by the address its peers know it by.</summary>
    public string Node { get; } = node;
}
