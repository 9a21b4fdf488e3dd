using MessagePack;

namespace Msdn.Client.Framing;

/// <summary>
/// Opens (or, with a later <see cref="ResumeFrom"/>, re-opens after failover) a flow along a source-routed path.
/// A room on the path may run several relays; each hop picks one, passing over those named in <see cref="Avoid"/>
/// (relays that died or drained under this flow, by the address their peers know them by).
/// </summary>
[MessagePackObject]
public sealed record OpenFlow(
    [property: Key(0)] ulong FlowId,
    [property: Key(1)] string Source,
    [property: Key(2)] string Destination,
    [property: Key(3)] string Endpoint,
    [property: Key(4)] string[] Path,
    [property: Key(5)] ulong ResumeFrom,
    [property: Key(6)] string[]? Avoid = null);

/// <summary>
/// Ends a flow; <see cref="Reason"/> is for people, not parsed. A transit relay whose next hop died sends it
/// back with <see cref="Unreachable"/> naming that room, so the ingress avoids it at once. The egress
/// answers the ingress's close with <see cref="Delivered"/>: the flow's end reached its subscriber, and the
/// ingress may forget the flow (until then it keeps it, and re-sends the close on another path).
/// <see cref="CutOff"/> says the flow's writer never closed it (its connection ended first): the bytes before
/// the close are all delivered, but the flow is not complete, and its subscriber is told so.
/// <see cref="Final"/> (from the egress) ends the flow for good: no other path would help (its subscriber stopped
/// reading), and the ingress ends it with <see cref="Reason"/> rather than fail over.
/// <see cref="Node"/>, with <see cref="Unreachable"/>, narrows the loss to one relay of that room (it died, or
/// drains): another of the room's relays may carry the flow, so the ingress takes the same path again avoiding it.
/// </summary>
[MessagePackObject]
public sealed record CloseFlow(
    [property: Key(0)] ulong FlowId,
    [property: Key(1)] string Reason,
    [property: Key(2)] string? Unreachable = null,
    [property: Key(3)] bool Delivered = false,
    [property: Key(4)] bool CutOff = false,
    [property: Key(5)] bool Final = false,
    [property: Key(6)] string? Node = null);

/// <summary>Liveness and RTT on a connection.</summary>
[MessagePackObject]
public sealed record Ping(
    [property: Key(0)] ulong Nonce,
    [property: Key(1)] bool IsReply);

/// <summary>
/// A media engine introduces itself to its room's relay: its token, then either
/// <see cref="ClientOperation.Open"/> a flow to (<see cref="Room"/>, <see cref="Endpoint"/>),
/// <see cref="ClientOperation.Subscribe"/> to flows arriving for <see cref="Endpoint"/> in this room, or
/// <see cref="ClientOperation.Resume"/> flow <see cref="FlowId"/> (opened at this relay or a sibling of it in the
/// same room, which gave it <see cref="Ticket"/>) from chunk <see cref="ResumeFrom"/>, the last end-to-end ack it heard.
/// </summary>
[MessagePackObject]
public sealed record ClientHello(
    [property: Key(0)] string Token,
    [property: Key(1)] ClientOperation Operation,
    [property: Key(2)] string Room,
    [property: Key(3)] string Endpoint,
    [property: Key(4)] ulong FlowId = 0,
    [property: Key(5)] ulong ResumeFrom = 0,
    [property: Key(6)] string? Ticket = null);

public enum ClientOperation
{
    Open = 1,
    Subscribe = 2,
    Resume = 3,
}

/// <summary>
/// A relay took a media engine's flow: its id, and the ticket that lets the engine resume it at any relay of the
/// room (a signature over the room, the id, the destination and the endpoint: only the engine given it can).
/// </summary>
[MessagePackObject]
public sealed record FlowAccepted(
    [property: Key(0)] ulong FlowId,
    [property: Key(1)] string Ticket);
