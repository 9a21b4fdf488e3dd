using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>The route table has no route between the two rooms (unknown room, or no path: a partition).</summary>
public sealed class NoRouteException(RoomId from, RoomId to, long version)
    : IOException($"No route from {from} to {to} in route table version {version}.")
{
    public RoomId From { get; } = from;

    public RoomId To { get; } = to;
}
