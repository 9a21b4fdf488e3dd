using System.Net;
using Msdn.Graph.Topology;

namespace Msdn.Probe.Agent;

/// <summary>A room to probe and where its relay's probe socket listens.</summary>
public sealed record ProbePeer(RoomId Room, EndPoint Endpoint);
