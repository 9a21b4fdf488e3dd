using Msdn.Probe.Agent;

namespace Msdn.Probe.Detection;

/// <summary>
/// Losses beginning on many of an agent's links at once: the mark of a partition or of a region cut off, not of
/// one bad link. Each link is probed once a base interval while quiet, so without this a cut link would wait up to
/// that long for the probe that finds it lost, and the region's links would be declared down one by one over a
/// whole interval and more. A burst (<see cref="ProbeAgentOptions.BurstLinks"/> links, or
/// <see cref="ProbeAgentOptions.BurstFraction"/> of them if more, starting to lose within
/// <see cref="ProbeAgentOptions.BurstWindow"/>) puts every link on the fast interval for
/// <see cref="ProbeAgentOptions.BurstFastProbing"/>, so each cut link is declared down within its
/// <see cref="ProbeAgentOptions.DownAfterLosses"/> fast probes of the burst. A lossy uplink that would set one off
/// again and again costs fast probing at most once per <see cref="CooldownFactor"/> bursts' length.
/// Sans I/O: the agent (and the simulator's agents) pass their own clock's time.
/// </summary>
public sealed class LossBurst(ProbeAgentOptions options)
{
    /// <summary>After a burst, the next one may start only this many times <see cref="ProbeAgentOptions.BurstFastProbing"/> later.</summary>
    public const int CooldownFactor = 5;

    private readonly Queue<TimeSpan> _began = new();
    private TimeSpan _fastUntil = TimeSpan.MinValue;
    private TimeSpan _quietUntil = TimeSpan.MinValue;

    /// <summary>How many bursts have started.</summary>
    public int Bursts { get; private set; }

    /// <summary>Links that must begin losing within the window, out of <paramref name="links"/>, to make a burst.</summary>
    public int Threshold(int links) => Math.Max(options.BurstLinks, (int)Math.Ceiling(options.BurstFraction * links));

    /// <summary>A link that was answering lost a probe at <paramref name="now"/>, of <paramref name="links"/> this agent probes; true when this starts a burst.</summary>
    public bool LossBegan(TimeSpan now, int links)
    {
        if (options.BurstFastProbing <= TimeSpan.Zero)
        {
            return false;
        }

        _began.Enqueue(now);
        while (_began.Peek() < now - options.BurstWindow)
        {
            _began.Dequeue();
        }

        if (now < _quietUntil || _began.Count < Threshold(links))
        {
            return false;
        }

        _began.Clear();
        _fastUntil = now + options.BurstFastProbing;
        _quietUntil = now + (CooldownFactor * options.BurstFastProbing);
        Bursts++;
        return true;
    }

    /// <summary>
    /// A link lost a probe at <paramref name="now"/>: whether that starts a burst (the agent pulls every link in and
    /// suspects those losing now), falls in one (the agent suspects that link), or neither. Only a link that was
    /// answering (<see cref="PeerLink.Answering"/> before this loss) begins a run of losses.
    /// </summary>
    public BurstLoss Lost(TimeSpan now, int links, bool wasAnswering) =>
        !wasAnswering ? BurstLoss.None : LossBegan(now, links) ? BurstLoss.Began : Active(now) ? BurstLoss.During : BurstLoss.None;

    /// <summary>Whether a burst holds every link on the fast interval at <paramref name="now"/>.</summary>
    public bool Active(TimeSpan now) => now < _fastUntil;
}

/// <summary>What a lost probe means for the agent's loss bursts (<see cref="LossBurst.Lost"/>).</summary>
public enum BurstLoss
{
    /// <summary>Nothing beyond the link itself.</summary>
    None,

    /// <summary>It started a burst: every link goes on the fast interval, and those losing now are suspected.</summary>
    Began,

    /// <summary>It came during a burst: its peer is suspected.</summary>
    During,
}
