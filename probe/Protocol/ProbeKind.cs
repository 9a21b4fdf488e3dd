namespace Msdn.Probe.Protocol;

/// <summary>What a probe datagram is.</summary>
public enum ProbeKind : byte
{
    /// <summary>Sent by the prober; the peer answers with a <see cref="Reply"/>.</summary>
    Request = 1,

    /// <summary>The answer: echoes the request's sequence and send time, and says how many requests arrived.</summary>
    Reply = 2,
}
