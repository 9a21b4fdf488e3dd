namespace Msdn.Graph.Topology;

/// <summary>A directed link between two rooms with its latest measured quality.</summary>
public sealed record Link(RoomId From, RoomId To, LinkQuality Quality);
