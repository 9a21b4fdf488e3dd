using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// One reliable flow in the virtual engine: the relay's own flow core (<see cref="FlowCore"/>: which path,
/// failover, replay from the last ack, moves) over its real ingress buffer, the real egress reassembly
/// (<see cref="FlowReceiver"/>: in order, exactly once), and the path attempt carrying it now.
/// </summary>
internal sealed class VirtualFlow
{
    public VirtualFlow(DrillFlow drill, int from, int to, FlowCore core)
    {
        Drill = drill;
        From = from;
        To = to;
        Core = core;
        Receiver = new FlowReceiver(payload => Drill.Receive(payload.Span, DeliveredAtTicks));
    }

    public DrillFlow Drill { get; }

    public int From { get; }

    public int To { get; }

    public FlowCore Core { get; }

    public FlowSender Sender => Core.Sender;

    public FlowReceiver Receiver { get; }

    /// <summary>The virtual Stopwatch ticks of the delivery being made (for the drill flow's arrival log).</summary>
    public long DeliveredAtTicks { get; set; }

    /// <summary>The path attempt carrying the flow now; null between paths.</summary>
    public PathAttempt? Attempt { get; set; }

    public bool Done { get; set; }
}

/// <summary>
/// One attempt to carry a flow on a path: its rooms, the next-hop uses it holds, and when a fault broke it
/// (data and acks crossing it after that are lost).
/// </summary>
internal sealed class PathAttempt(int[] rooms, NextHopUsage.Lease[] nextHops)
{
    public int[] Rooms { get; } = rooms;

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

    /// <summary>The room's position on the path, -1 when it is not on it.</summary>
    public int IndexOf(int room) => Array.IndexOf(Rooms, room);
}
