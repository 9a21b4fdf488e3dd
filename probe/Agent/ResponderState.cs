using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>The answering side of one prober: which of its requests were seen, and how many arrived.</summary>
internal sealed class ResponderState
{
    public ReplayWindow Replay { get; private set; } = new();

    public uint RequestsReceived { get; set; }

    public uint? Session { get; private set; }

    /// <summary>A new session means the prober restarted: its sequence numbers and our count start over.</summary>
    public void Observe(uint session)
    {
        if (Session != session)
        {
            Session = session;
            Replay = new ReplayWindow();
            RequestsReceived = 0;
        }
    }
}
