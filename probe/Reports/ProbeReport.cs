using Msdn.Graph.Topology;

namespace Msdn.Probe.Reports;

/// <summary>A batch of link estimates from one room, for the controller.</summary>
public sealed record ProbeReport(RoomId Room, DateTimeOffset At, IReadOnlyList<LinkReport> Links)
{
    /// <summary>The links as the routing core takes them.</summary>
    public IEnumerable<Link> ToLinks() => Links.Select(l => new Link(Room, l.Peer, l.Quality));
}
