using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Detection;
using Msdn.Probe.Estimation;

namespace Msdn.Probe.Agent;

/// <summary>Everything the agent knows about one link to a peer: schedule, outstanding probes, estimates, health.</summary>
internal sealed class PeerLink(RoomId room, EndPoint endpoint, ProbeAgentOptions options)
{
    public RoomId Room { get; } = room;

    public EndPoint Endpoint { get; set; } = endpoint;

    public ulong NextSequence { get; set; } = 1;

    /// <summary>Sequence → send time (µs) of probes not yet answered or timed out.</summary>
    public Dictionary<ulong, long> Outstanding { get; } = [];

    public RttEstimator Rtt { get; } = new(options.RttWindow);

    public JitterEstimator Jitter { get; } = new();

    public LossWindow Loss { get; } = new(options.LossWindow);

    public DirectionalLoss Directions { get; } = new(options.DirectionalLossWindow);

    public LinkHealth Health { get; } = new(options.DownAfterLosses, options.UpAfterSuccesses);

    public ResponderState Responder { get; } = new();

    /// <summary>Carries flows: probed at the fast interval.</summary>
    public bool Active { get; set; }

    public bool EverUp { get; set; }

    public bool Removed { get; set; }

    /// <summary>When the next probe is due (TimeProvider timestamp); schedule entries for other times are stale.</summary>
    public long NextSendDue { get; set; }

    public long ProbesSent { get; set; }

    public long RepliesReceived { get; set; }

    /// <summary>Probed at the fast interval: carrying flows, just lost a probe, confirming after an answer, or lossy.</summary>
    public bool WantsFastProbing(double unhealthyLoss) =>
        Active
        || Health.ConsecutiveLosses > 0
        || (Health.State == LinkState.Down && (Health.ConsecutiveSuccesses > 0 || EverUp))
        || Loss.Loss > unhealthyLoss;
}
