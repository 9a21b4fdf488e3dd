namespace Msdn.Router.Api;

/// <summary>What <c>GET /v1/paths/{from}/{to}</c> answers: the primary and backup paths with each hop's relay, and what to expect of them.</summary>
public sealed record PathAnswer(string From, string To, long Version, PathOption Primary, PathOption? Backup);

/// <summary>One path: its hops in order, its cost under the cost model, its expected RTT and loss from the latest measurements.</summary>
public sealed record PathOption(IReadOnlyList<PathHop> Hops, double CostMs, double? ExpectedRttMs, double? ExpectedLoss);

/// <summary>
/// One room on a path and where its relay is reached. For the ingress room of several relays: the relay the media
/// engine should connect to (<see cref="EntryNode"/>), and in <see cref="ClientEndpoints"/> every serving relay's
/// client endpoint, that one first, to fall back on.
/// </summary>
public sealed record PathHop(string Room, string? RelayEndpoint, string? ClientEndpoint, IReadOnlyList<string>? ClientEndpoints = null);
