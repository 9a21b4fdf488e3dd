using Msdn.Graph.Topology;

namespace Msdn.Graph.Tables;

/// <summary>One pair's entry in a <see cref="RouteTableDiff"/>: its new routes, or null when it no longer has any.</summary>
public sealed record RouteChange(RoomId From, RoomId To, Route? Route);
