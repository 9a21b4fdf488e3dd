namespace Msdn.Probe.Protocol;

/// <summary>Why a datagram was not accepted as a probe. Every rejection is counted, none is measured.</summary>
public enum ProbeRejection
{
    None = 0,
    TooShort,
    TooLong,
    BadMagic,
    UnsupportedVersion,
    BadKind,
    BadRoomId,
    BadMac,

    /// <summary>Authentic but already seen, or too old to tell (a replayed request).</summary>
    Replayed,

    /// <summary>Authentic reply that answers no outstanding request (late, duplicated or replayed).</summary>
    Unsolicited,

    /// <summary>Authentic, from a room that is not a configured peer.</summary>
    UnknownPeer,
}
