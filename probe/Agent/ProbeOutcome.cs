namespace Msdn.Probe.Agent;

/// <summary>What an answered probe did to its link's state.</summary>
internal enum ProbeOutcome
{
    None,

    /// <summary>The answer brought the link up.</summary>
    WentUp,

    /// <summary>The link is still down but answering: probe it again soon to confirm.</summary>
    Confirming,
}
