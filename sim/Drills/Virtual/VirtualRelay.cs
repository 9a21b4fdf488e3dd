using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// What one relay knows: its route table, and its own <see cref="PathKnowledge"/> (links its probe agent
/// declared down, peers it failed to reach) and <see cref="NextHopUsage"/> (the links it carries flows over,
/// which its agent probes fast).
/// </summary>
internal sealed class VirtualRelay(int node, int room, RoomId id, TimeProvider clock)
{
    /// <summary>The relay's number (<c>room × nodesPerRoom + k</c>).</summary>
    public int Node { get; } = node;

    public int Room { get; } = room;

    public RouteTable Table { get; set; } = RouteTable.Empty;

    public PathKnowledge Knowledge { get; } = new(id, clock);

    public NextHopUsage NextHops { get; } = new();
}
