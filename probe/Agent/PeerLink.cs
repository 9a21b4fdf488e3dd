using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Detection;
using Msdn.Probe.Estimation;
using Msdn.Probe.Reports;

namespace Msdn.Probe.Agent;

/// <summary>Everything the agent knows about one link to a peer: schedule, outstanding probes, estimates, health.</summary>
internal sealed class PeerLink(RoomId room, EndPoint endpoint, ProbeAgentOptions options)
{
    public RoomId Room { get; } = room;

    public EndPoint Endpoint { get; set; } = endpoint;

    public ulong NextSequence { get; set; } = 1;

    private Dictionary<ulong, long>? _outstanding;
    private ResponderState? _responder;

    /// <summary>Sequence → send time (µs) of probes not yet answered or timed out (made at first use, as <see cref="Responder"/>: the simulator holds a quarter of a million links that never send a packet).</summary>
    public Dictionary<ulong, long> Outstanding => _outstanding ??= [];

    public RttEstimator Rtt { get; } = new(options.RttWindow);

    public JitterEstimator Jitter { get; } = new();

    public LossWindow Loss { get; } = new(options.LossWindow);

    public DirectionalLoss Directions { get; } = new(options.DirectionalLossWindow);

    public LinkHealth Health { get; } = new(options.DownAfterLosses, options.UpAfterSuccesses);

    public ResponderState Responder => _responder ??= new();

    /// <summary>Carries flows: probed at the fast interval.</summary>
    public bool Active { get; set; }

    public bool EverUp { get; set; }

    /// <summary>Up and its last probe answered: a loss now begins a run of losses.</summary>
    public bool Answering => Health.State == LinkState.Up && Health.ConsecutiveLosses == 0;

    /// <summary>Up, but its last probes were lost.</summary>
    public bool LosingWhileUp => Health.State == LinkState.Up && Health.ConsecutiveLosses > 0;

    /// <summary>Began losing probes during a loss burst and has not answered since (its peer was named to the agent's subscribers).</summary>
    public bool BurstSuspect { get; set; }

    public bool Removed { get; set; }

    /// <summary>When the next probe is due (TimeProvider timestamp); schedule entries for other times are stale.</summary>
    public long NextSendDue { get; set; }

    public long ProbesSent { get; set; }

    public long RepliesReceived { get; set; }

    /// <summary>
    /// An answered probe: every estimate takes the sample. <see cref="ProbeOutcome.WentUp"/> when this
    /// brought the link up, <see cref="ProbeOutcome.Confirming"/> while it is still down (probe again soon).
    /// </summary>
    public ProbeOutcome Answered(double rttMs, ulong sequence, uint requestsReceived)
    {
        RepliesReceived++;
        Rtt.Add(rttMs);
        Jitter.Add(rttMs);
        Loss.Add(false);
        Directions.AddReply(sequence, requestsReceived);
        if (Health.OnAnswered())
        {
            // A new record from the answers that brought it up: an outage's timeouts would otherwise keep it over the
            // controller's usable loss for dozens of answers after it healed.
            Loss.Restart();
            for (var i = 0; i < Health.ConsecutiveSuccesses; i++)
            {
                Loss.Add(false);
            }

            Directions.Restart();
            EverUp = true;
            return ProbeOutcome.WentUp;
        }

        return Health.State == LinkState.Down ? ProbeOutcome.Confirming : ProbeOutcome.None;
    }

    /// <summary>A probe that timed out; true when this took the link down.</summary>
    public bool Lost()
    {
        Loss.Add(true);
        return Health.OnLost();
    }

    /// <summary>The wait before the next probe: fast or base interval, stretched or shrunk at random so peers do not probe in lockstep.</summary>
    /// <param name="burst">A loss burst holds every link of the agent on the fast interval (<see cref="Detection.LossBurst"/>).</param>
    public TimeSpan NextInterval(ProbeAgentOptions options, Random random, bool burst = false)
    {
        var interval = burst || WantsFastProbing(options.UnhealthyLoss) ? options.FastInterval : options.BaseInterval;
        return interval * (1 + (options.IntervalJitter * ((random.NextDouble() * 2) - 1)));
    }

    /// <summary>How long a probe on this link is waited for (see <see cref="ProbeAgentOptions.ProbeTimeout"/>).</summary>
    /// <param name="burst">During a loss burst a probe is lost once it is clearly late, 1.25× the link's minimum RTT plus 25 ms, rather than after the usual margin.</param>
    public TimeSpan Timeout(ProbeAgentOptions options, bool burst = false)
    {
        if (Rtt.Samples == 0)
        {
            return options.MaxProbeTimeout; // its RTT is unknown: a long link must get its first answer through
        }

        var adaptive = TimeSpan.FromMilliseconds((1.5 * Rtt.MinimumMs) + 50);
        var usual = adaptive < options.ProbeTimeout ? options.ProbeTimeout : adaptive > options.MaxProbeTimeout ? options.MaxProbeTimeout : adaptive;
        var late = TimeSpan.FromMilliseconds((1.25 * Rtt.MinimumMs) + 25);
        return burst && late < usual ? late : usual;
    }

    /// <summary>How soon a link pulled onto the fast interval (a loss, a flow, confirming) is probed next.</summary>
    public static TimeSpan PullInDelay(ProbeAgentOptions options, Random random) =>
        options.FastInterval * (1 - (options.IntervalJitter * random.NextDouble()));

    /// <summary>The link's estimates as reported.</summary>
    public LinkReport Describe(DateTimeOffset at)
    {
        var rtt = double.IsNaN(Rtt.SmoothedMs) ? 0 : Rtt.SmoothedMs;
        var quality = new LinkQuality(rtt, Jitter.JitterMs, Loss.Loss, Health.State == LinkState.Up, at);
        return new LinkReport(Room, quality, double.IsNaN(Rtt.MinimumMs) ? 0 : Rtt.MinimumMs, Directions.Forward, Directions.Reverse, Health.State, ProbesSent, RepliesReceived);
    }

    /// <summary>Probed at the fast interval: carrying flows, just lost a probe, confirming after an answer, or lossy.</summary>
    public bool WantsFastProbing(double unhealthyLoss) =>
        Active
        || Health.ConsecutiveLosses > 0
        || (Health.State == LinkState.Down && (Health.ConsecutiveSuccesses > 0 || EverUp))
        || Loss.Loss > unhealthyLoss;
}
