using Msdn.Graph.Topology;

namespace Msdn.Probe.Protocol;

/// <summary>
/// One probe datagram. <see cref="SentAt"/> is the requester's own clock (microseconds), echoed back
/// unchanged in the reply so the requester measures RTT on one clock. <see cref="RequestsReceived"/>
/// (replies only) counts the requests the responder has received from the requester so far, which is
/// what separates loss on the way there from loss on the way back. <see cref="Session"/> is chosen by
/// each agent at start: a requester that restarts (its sequence numbers start over) is recognised as
/// new, not taken for a replay.
/// </summary>
public readonly record struct ProbePacket(
    ProbeKind Kind,
    RoomId Sender,
    uint Session,
    ulong Sequence,
    long SentAt,
    uint RequestsReceived);
