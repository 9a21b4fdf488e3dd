using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>The answering side of one prober: which of its requests were seen, and how many arrived.</summary>
internal sealed class ResponderState
{
    public ReplayWindow Replay { get; } = new();

    public uint RequestsReceived { get; set; }
}
