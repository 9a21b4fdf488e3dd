using System.Net;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

/// <summary>One relay of a peer room, known by where it listens.</summary>
internal readonly record struct PeerNode(RoomId Room, EndPoint Endpoint)
{
    /// <summary>Its name in rendezvous choices and logs: the address it listens on, the same for every relay that knows it.</summary>
    public string Name => Endpoint.ToString() ?? string.Empty;
}
