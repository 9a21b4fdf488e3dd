using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Relay;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// One reliable flow in the virtual engine: the relay's own flow core (<see cref="FlowCore"/>: which path,
/// failover, replay from the last ack, moves) over its real ingress buffer, the real egress reassembly
/// (<see cref="FlowReceiver"/>: in order, exactly once), and the path attempt carrying it now. In rooms of several
/// relays its core lives at the relay its engine writes through (<see cref="IngressNode"/>), and moves with the
/// engine when that relay dies or lets it go.
/// </summary>
internal sealed class VirtualFlow
{
    public VirtualFlow(DrillFlow drill, int from, int to, int ingressNode, FlowCore core, AvoidedNodes avoided)
    {
        Drill = drill;
        From = from;
        To = to;
        IngressNode = ingressNode;
        Core = core;
        Avoided = avoided;
        Receiver = new FlowReceiver(payload => Drill.Receive(payload.Span, DeliveredAtTicks));
    }

    public DrillFlow Drill { get; }

    public int From { get; }

    public int To { get; }

    /// <summary>The relay the flow's engine writes through now (<c>room × nodesPerRoom + k</c>).</summary>
    public int IngressNode { get; set; }

    /// <summary>The flow's core, at its ingress relay (a new one when the engine resumes at a sibling).</summary>
    public FlowCore Core { get; set; }

    /// <summary>Relays that died or drained under the flow: its next tries pick their siblings (the ingress's own record).</summary>
    public AvoidedNodes Avoided { get; }

    public FlowSender Sender => Core.Sender;

    public FlowReceiver Receiver { get; }

    /// <summary>The virtual Stopwatch ticks of the delivery being made (for the drill flow's arrival log).</summary>
    public long DeliveredAtTicks { get; set; }

    /// <summary>The path attempt carrying the flow now; null between paths.</summary>
    public PathAttempt? Attempt { get; set; }

    public bool Done { get; set; }
}

/// <summary>
/// One attempt to carry a flow on a path: its rooms, the relay taken in each (-1 past where the Open frame
/// stopped), the next-hop uses it holds, and when a fault broke it (data and acks crossing it after that are lost).
/// </summary>
internal sealed class PathAttempt(int[] rooms, int[] nodes, NextHopUsage.Lease[] nextHops)
{
    public int[] Rooms { get; } = rooms;

    public int[] Nodes { get; } = nodes;

    /// <summary>Each hop's use of its link (released when the flow leaves the path).</summary>
    public NextHopUsage.Lease[] NextHops { get; } = nextHops;

    public long BrokenUs { get; set; } = long.MaxValue;

    /// <summary>Arrivals keep their order (one TCP stream per hop): the last data and ack arrival times.</summary>
    public long LastArrivalUs { get; set; }

    public long LastAckUs { get; set; }

    public bool Crosses(int a, int b)
    {
        for (var i = 0; i < Rooms.Length - 1; i++)
        {
            if ((Rooms[i] == a && Rooms[i + 1] == b) || (Rooms[i] == b && Rooms[i + 1] == a))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The relay's position on the path, -1 when it is not on it.</summary>
    public int IndexOfNode(int node) => Array.IndexOf(Nodes, node);
}
