using System.Net;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Which peer rooms this relay measures for its room. A room pair is measured once, not once per relay: in a room
/// of several relays each peer room is measured by one of them (rendezvous choice by the peer's name over the
/// room's relays, so every relay of the room agrees), and the controller takes each link from the relay that
/// measures it. A relay also measures, while they last, the peers its own flows use as their next hop. A relay
/// alone in its room measures every peer. At R rooms of N relays each, a relay probes about (R − 1) / N peers
/// at the base interval instead of R − 1.
/// </summary>
internal sealed class ProbeShare(string self, IReadOnlyList<EndPoint> roomRelays, Func<RoomId, bool> carrying)
{
    /// <summary>Whether this relay probes <paramref name="peer"/>.</summary>
    public bool Measures(RoomId peer) =>
        !_shared
        || Msdn.Graph.Topology.NodeChoice.Order(peer.Value, roomRelays, r => r.ToString() ?? string.Empty)[0].ToString() == self
        || carrying(peer);

    /// <summary>
    /// Whether the room's relays share the peers: there are several, and the directory lists this one as it names
    /// itself (otherwise it measures every peer rather than leave some to no one).
    /// </summary>
    private readonly bool _shared = roomRelays.Count > 1 && roomRelays.Any(r => r.ToString() == self);
}
