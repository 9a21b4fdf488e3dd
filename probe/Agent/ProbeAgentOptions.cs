namespace Msdn.Probe.Agent;

/// <summary>
/// Probe agent settings (section <c>Probe</c>). Defaults: probe every peer each second, links that carry
/// flows or look unhealthy every 100 ms, declare a link down after 4 lost fast probes (about 0.7 s after a
/// cut on a fast link) and up again after 3 answered ones.
/// </summary>
public sealed class ProbeAgentOptions
{
    public const string SectionName = "Probe";

    /// <summary>Where this agent's UDP socket listens (host:port) when hosted; peers probe it there.</summary>
    public string Listen { get; set; } = "0.0.0.0:7400";

    /// <summary>Peers from configuration; the controller's room list can replace them while running.</summary>
    public List<ProbePeerOptions> Peers { get; set; } = [];

    /// <summary>This room's id (the sender of every probe).</summary>
    public string Room { get; set; } = string.Empty;

    /// <summary>The cluster key, base64, at least 16 bytes: probes without a valid MAC under it are rejected.</summary>
    public string ClusterKey { get; set; } = string.Empty;

    public TimeSpan BaseInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>For links that carry flows, are confirming, or have just lost a probe.</summary>
    public TimeSpan FastInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Each interval is stretched or shrunk by up to this fraction at random, so peers do not probe in lockstep.</summary>
    public double IntervalJitter { get; set; } = 0.1;

    /// <summary>
    /// A probe not answered within this is lost — on links whose round trip is short. A long link gets
    /// 1.5× its minimum RTT plus 50 ms (a 300 ms link would otherwise never answer in time, and one whose
    /// RTT sits near the limit would flap with every bit of jitter), up to <see cref="MaxProbeTimeout"/>.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest a probe is waited for; also the wait before a link has answered at all.</summary>
    public TimeSpan MaxProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public int DownAfterLosses { get; set; } = 4;

    public int UpAfterSuccesses { get; set; } = 3;

    /// <summary>Probe outcomes in the round-trip loss window.</summary>
    public int LossWindow { get; set; } = 100;

    /// <summary>Replies in the per-direction loss window.</summary>
    public int DirectionalLossWindow { get; set; } = 50;

    /// <summary>RTT samples over which the minimum is kept.</summary>
    public int RttWindow { get; set; } = 20;

    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Loss above this keeps a link on the fast interval even while it is up.</summary>
    public double UnhealthyLoss { get; set; } = 0.05;

    /// <summary>Links beginning to lose probes within <see cref="BurstWindow"/> that make a loss burst (see <see cref="Detection.LossBurst"/>), at least.</summary>
    public int BurstLinks { get; set; } = 3;

    /// <summary>The share of this agent's links that make a loss burst, where that is more than <see cref="BurstLinks"/>.</summary>
    public double BurstFraction { get; set; } = 0.05;

    public TimeSpan BurstWindow { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a loss burst holds every link on the fast interval; zero turns bursts off.</summary>
    public TimeSpan BurstFastProbing { get; set; } = TimeSpan.FromSeconds(2);

    public byte[] DecodeClusterKey() => Convert.FromBase64String(ClusterKey);
}

/// <summary>A configured peer: its room id and its probe endpoint (host:port).</summary>
public sealed class ProbePeerOptions
{
    public string Room { get; set; } = string.Empty;

    public string Endpoint { get; set; } = string.Empty;
}
