using Msdn.Graph.Topology;

namespace Msdn.Probe.Detection;

/// <summary>A link went down or came up, as raised to subscribers the moment it is declared.</summary>
public sealed record LinkStateChange(RoomId From, RoomId To, LinkState State, DateTimeOffset At);
