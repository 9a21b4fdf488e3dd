namespace Msdn.Overlay.Security;

/// <summary>A peer relay whose certificate is unknown, expired or otherwise refused, with why; nothing it sends is forwarded.</summary>
internal sealed class PeerAuthenticationException(string message, PeerRefusal reason = PeerRefusal.Unknown) : Exception(message)
{
    public PeerRefusal Reason { get; } = reason;
}

/// <summary>Why a peer's certificate was refused (the tag of <c>msdn.relay.peers.certificates_refused</c>).</summary>
internal enum PeerRefusal
{
    /// <summary>Neither pinned, registered nor issued by the cluster CA (a stranger, or a CA this relay does not trust).</summary>
    Unknown,

    /// <summary>Presented no certificate.</summary>
    Missing,

    /// <summary>Outside its validity period.</summary>
    Expired,

    /// <summary>Issued by the cluster CA to a room the directory does not list (removed: revoked).</summary>
    Revoked,
}
