namespace Msdn.Router.Api;

/// <summary>
/// The answer to an accepted report. <paramref name="UnknownPeers"/> counts links naming a room the controller
/// has never heard from: they are held with the report, but no route uses them until that room reports.
/// </summary>
public sealed record ReportReceipt(int UnknownPeers);
