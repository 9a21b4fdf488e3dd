using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>A flow leaves a working path for the better primary a new route table gives it (not a failure).</summary>
internal sealed class PathMovedException(RoomId[] to) : Exception($"Moving to {string.Join('>', to)}.")
{
    public RoomId[] To { get; } = to;
}
