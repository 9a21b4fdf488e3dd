using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>
/// The key a hop's relay is chosen by (<see cref="NodeChoice"/>) among the next room's relays: at the flow's
/// destination room, the subscriber's endpoint, so every flow to an endpoint arrives at the one relay its
/// subscriber connects to (the same choice from anywhere); at a transit room, the flow, so it keeps its relay.
/// </summary>
internal static class NodeAffinity
{
    public static string For(string source, ulong flowId, string destination, string endpoint, RoomId next) =>
        next.Value == destination ? endpoint : $"{source}/{flowId.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
