using Msdn.Router.Rooms;
using Orleans;

namespace Msdn.Router.Grains;

/// <summary>One edge room (keyed by room id): its relay's registration and its latest link reports.</summary>
[Alias("msdn.IRoomGrain")]
public interface IRoomGrain : IGrainWithStringKey
{
    /// <summary>Takes the room's latest report, unless the operator removed the room.</summary>
    [Alias("Report")]
    Task<ReportOutcome> Report(RoomReport report);

    /// <summary>The operator removes the room: out of the table and the directory, its reports refused until <see cref="Admit"/>.</summary>
    [Alias("Remove")]
    Task Remove();

    /// <summary>Signs the room relay's certificate request with the cluster CA, unless the room was removed or another relay holds it.</summary>
    [Alias("IssueCertificate")]
    Task<CertificateOutcome> IssueCertificate(string requestPem, string? presentedFingerprint);

    /// <summary>
    /// The operator removes one relay of a room of several (by the endpoint it registered): out of the room, the
    /// directory and the path lookup's answers, its reports and certificate requests refused until the room is admitted again.
    /// </summary>
    [Alias("RemoveRelay")]
    Task<RelayRemoval> RemoveRelay(string relayEndpoint);

    /// <summary>The operator admits a removed room again (and relays removed from it): its next report registers it.</summary>
    [Alias("Admit")]
    Task Admit();

    /// <summary>Whether the operator removed the room (cheap: asked once per long-poll of its relay).</summary>
    [Alias("IsRemoved")]
    Task<bool> IsRemoved();

    [Alias("Describe")]
    Task<RoomRecord> Describe();
}

/// <summary>
/// What became of a report: how many of its links name a room that never reported, or that the room is removed,
/// or claimed by another relay, or that the report amends one the controller does not hold (<see cref="FullWanted"/>);
/// and the room's load across its relays (<see cref="RoomLoad"/>, when they report it).
/// </summary>
[GenerateSerializer, Immutable, Alias("msdn.ReportOutcome")]
public sealed record ReportOutcome([property: Id(0)] int UnknownPeers, [property: Id(1)] bool Removed, [property: Id(2)] string? Conflict = null, [property: Id(3)] bool FullWanted = false, [property: Id(4)] double? RoomLoad = null, [property: Id(5)] bool RelayRemoved = false);

/// <summary>What became of an operator's removal of one relay.</summary>
[GenerateSerializer]
public enum RelayRemoval
{
    Removed,

    /// <summary>The room has no relay registered at that endpoint.</summary>
    NotFound,

    /// <summary>It is the room's only relay: the room itself is removed instead (DELETE /v1/rooms/{room}).</summary>
    LastRelay,
}

/// <summary>Why a certificate request was refused.</summary>
[GenerateSerializer]
public enum CertificateRefusal
{
    BadRequest,
    Removed,
    Conflict,
    NoCa,
}

/// <summary>The certificate issued, or the refusal and why.</summary>
[GenerateSerializer, Immutable, Alias("msdn.CertificateOutcome")]
public sealed record CertificateOutcome([property: Id(0)] Identity.IssuedCertificate? Issued, [property: Id(1)] CertificateRefusal? Refusal, [property: Id(2)] string? Reason);
