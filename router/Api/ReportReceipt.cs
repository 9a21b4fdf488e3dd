namespace Msdn.Router.Api;

/// <summary>
/// The answer to an accepted report. <paramref name="UnknownPeers"/> counts links naming a room the controller
/// has never heard from: they are held with the report, but no route uses them until that room reports.
/// <paramref name="RoomLoad"/> is the room's load across its relays (their mean utilization), when they report it:
/// a draining relay goes back to serving when it rises to its threshold.
/// </summary>
public sealed record ReportReceipt(int UnknownPeers, double? RoomLoad = null);
