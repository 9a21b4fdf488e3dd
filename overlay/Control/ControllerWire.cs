namespace Msdn.Overlay.Control;

/// <summary>The body of <c>POST /v1/rooms/{room}/reports</c> (JSON, camelCase): the relay's status and its probe agent's links.</summary>
public sealed record RelayReportBody(string RelayEndpoint, string RelayState, IReadOnlyList<LinkEstimateBody> Links, string? ClientEndpoint);

/// <summary>One link estimate in a report.</summary>
public sealed record LinkEstimateBody(string Peer, double RttMs, double JitterMs, double Loss, bool Up);
