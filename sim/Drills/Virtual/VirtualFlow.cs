using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// One reliable flow in the virtual engine: the real ingress buffer (<see cref="FlowSender"/>: numbering,
/// cumulative acks, rewind on failover) and egress reassembly (<see cref="FlowReceiver"/>: in order,
/// exactly once), the path carrying it now and the ingress's failover bookkeeping, as the relay keeps it.
/// </summary>
internal sealed class VirtualFlow
{
    public VirtualFlow(DrillFlow drill, int from, int to, long maxUnacknowledgedBytes)
    {
        Drill = drill;
        From = from;
        To = to;
        Sender = new FlowSender(maxUnacknowledgedBytes: maxUnacknowledgedBytes);
        Receiver = new FlowReceiver(payload => Drill.Receive(payload.Span, DeliveredAtTicks));
    }

    public DrillFlow Drill { get; }

    public int From { get; }

    public int To { get; }

    public FlowSender Sender { get; }

    public FlowReceiver Receiver { get; }

    /// <summary>The virtual Stopwatch ticks of the delivery being made (for the drill flow's arrival log).</summary>
    public long DeliveredAtTicks { get; set; }

    /// <summary>The path carrying the flow now; null between paths.</summary>
    public PathRun? Run { get; set; }

    /// <summary>Paths that failed since the flow last got an ack through (ruled out until all are).</summary>
    public List<IReadOnlyList<RoomId>> Failed { get; } = [];

    public long LastProgressUs { get; set; }

    /// <summary>When the path carrying the flow failed, until the first ack on a new path.</summary>
    public long? FaultAtUs { get; set; }

    /// <summary>Since when the flow has had no route (the relay waits up to its grace).</summary>
    public long? NoRouteSinceUs { get; set; }

    public bool WritesDone { get; set; }

    public bool Done { get; set; }

    public bool Complete => WritesDone && Sender.Acknowledged == Sender.ChunksWritten;
}

/// <summary>One path a flow was sent on: its rooms, whether it has been acked, and when a fault broke it (data and acks crossing it after that are lost).</summary>
internal sealed class PathRun(int[] rooms, RoomId[] ids)
{
    public int[] Rooms { get; } = rooms;

    public RoomId[] Ids { get; } = ids;

    public bool Established { get; set; }

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
