using Msdn.Graph.Topology;
using Msdn.Overlay.Lifecycle;

namespace Msdn.Overlay.Relay;

/// <summary>A new flow was refused because the relay is draining or drained: open it at another relay of the room.</summary>
internal sealed class RelayDrainingException(RoomId room, RelayState state)
    : InvalidOperationException($"Relay {room} is {state} and takes no new flows.")
{
    public RoomId Room { get; } = room;

    public RelayState State { get; } = state;
}
