using Msdn.Graph.Tables;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>What one room's relay knows: its route table, the links its probe agent declared down, the peers it failed to reach, the links it carries flows over.</summary>
internal sealed class VirtualRelay(int room)
{
    public int Room { get; } = room;

    public RouteTable Table { get; set; } = RouteTable.Empty;

    /// <summary>Peers whose link from here the probe agent declared down.</summary>
    public HashSet<int> DownLinks { get; } = [];

    /// <summary>Peers this relay failed to reach, avoided by every flow until a virtual microsecond.</summary>
    public Dictionary<int, long> Unreachable { get; } = [];

    /// <summary>Flows using each next hop from here (the agent probes those links fast).</summary>
    public Dictionary<int, int> NextHopUse { get; } = [];

    /// <summary>The report loop: when the last report went, and the generation of the scheduled next one.</summary>
    public long LastReportUs { get; set; } = long.MinValue / 2;

    public int ReportGeneration { get; set; }
}
