using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// What one room's relay knows: its route table, and the relay's own <see cref="PathKnowledge"/> (links its
/// probe agent declared down, peers it failed to reach) and <see cref="NextHopUsage"/> (the links it carries
/// flows over, which its agent probes fast).
/// </summary>
internal sealed class VirtualRelay(int room, RoomId id, TimeProvider clock)
{
    public int Room { get; } = room;

    public RouteTable Table { get; set; } = RouteTable.Empty;

    public PathKnowledge Knowledge { get; } = new(id, clock);

    public NextHopUsage NextHops { get; } = new();

    /// <summary>The report loop: when the last report went, and the generation of the scheduled next one.</summary>
    public long LastReportUs { get; set; } = long.MinValue / 2;

    public int ReportGeneration { get; set; }
}
