using Msdn.Graph.Topology;
using Msdn.Probe.Detection;

namespace Msdn.Probe.Reports;

/// <summary>One link's estimates as the agent reports them.</summary>
public sealed record LinkReport(
    RoomId Peer,
    LinkQuality Quality,
    double RttMinimumMs,
    double? ForwardLoss,
    double? ReverseLoss,
    LinkState State,
    long ProbesSent,
    long RepliesReceived);
