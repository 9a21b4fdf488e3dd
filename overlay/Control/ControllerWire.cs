using MessagePack;

namespace Msdn.Overlay.Control;

/// <summary>
/// The body of <c>POST /v1/rooms/{room}/reports</c>: the relay's status and its probe agent's links, sent as
/// MessagePack by key (the controller reads it far cheaper than JSON at hundreds of reports a second).
/// </summary>
[MessagePackObject]
public sealed record RelayReportBody(
    [property: Key(0)] string RelayEndpoint,
    [property: Key(1)] string RelayState,
    [property: Key(2)] IReadOnlyList<LinkEstimateBody> Links,
    [property: Key(3)] string? ClientEndpoint,
    [property: Key(4)] string? CertificateFingerprint = null);

/// <summary>One link estimate in a report.</summary>
[MessagePackObject]
public sealed record LinkEstimateBody(
    [property: Key(0)] string Peer,
    [property: Key(1)] double RttMs,
    [property: Key(2)] double JitterMs,
    [property: Key(3)] double Loss,
    [property: Key(4)] bool Up);
