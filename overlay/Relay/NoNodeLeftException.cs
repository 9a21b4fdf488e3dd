using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>
/// Every relay of a room on the path died or drains under this flow. The path fails, but the room is not
/// avoided by other flows (a draining relay still takes flows that end in its room).
/// </summary>
internal sealed class NoNodeLeftException(RoomId room) : IOException($"Every relay of room {room} failed or drains under this flow.")
{
    public RoomId Room { get; } = room;
}
