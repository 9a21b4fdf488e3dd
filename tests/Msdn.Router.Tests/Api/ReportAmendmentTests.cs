using System.Net;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Api;

/// <summary>Reports that carry only news, and route fetches that carry only what a relay reads, through the controller's HTTP API.</summary>
public sealed class ReportAmendmentTests : IAsyncLifetime
{
    private RouterInstance _router = null!;

    public async Task InitializeAsync() => _router = await RouterInstance.StartAsync();

    public async Task DisposeAsync() => await _router.DisposeAsync();

    private static RoomReport Report(string room, long sequence, long? since, params (string Peer, double Rtt, bool Up)[] links) => new()
    {
        RelayEndpoint = $"127.0.0.1:{7500 + room.Length}",
        Sequence = sequence,
        Since = since,
        Links = [.. links.Select(l => new LinkEstimate { Peer = l.Peer, RttMs = l.Rtt, Up = l.Up })],
    };

    [Fact]
    public async Task An_amendment_changes_only_the_links_it_names_and_one_of_a_report_not_held_is_answered_412()
    {
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await _router.ReportAsync("room-a", Report("room-a", 2, since: 1, ("room-b", 10, true)))).StatusCode); // nothing held yet
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-a", Report("room-a", 1, null, ("room-b", 10, true), ("room-c", 100, true)))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-b", Report("room-b", 1, null, ("room-a", 10, true), ("room-c", 10, true)))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-c", Report("room-c", 1, null, ("room-a", 100, true), ("room-b", 10, true)))).StatusCode);
        var table = await WaitForAsync(t => t.Rooms.Length == 3 && t.Find("room-a", "room-c") is { } r && r.Primary.Length == 3);

        // b's heartbeat (no links) keeps b→c; its amendment taking b→c down moves a→c to the direct link.
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-b", Report("room-b", 2, since: 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-b", Report("room-b", 3, since: 2, ("room-c", 10, false)))).StatusCode);
        table = await WaitForAsync(t => t.Find("room-a", "room-c")!.Primary.Length == 2);
        Assert.Equal<RoomId>(["room-b", "room-a"], table.Find("room-b", "room-a")!.Primary); // b→a held through both amendments

        // An amendment of report 2 when 3 is held: the controller cannot know what it amends.
        var stale = await _router.ReportAsync("room-b", Report("room-b", 4, since: 2, ("room-c", 10, true)));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Contains("send every link", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // gone without since, or naming no room, is refused with the field named.
        var bad = await _router.ReportAsync("room-b", Report("room-b", 5, null) with { Gone = ["room-c"] });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("gone needs since", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relay_naming_its_destinations_gets_its_own_row_and_the_routes_into_them_and_sleeps_through_the_rest()
    {
        // a–b 10, b–d 10, a–d 50, b–c 10, c–d 30: c hangs off b and d.
        await _router.ReportAsync("room-a", ("room-b", 10, true), ("room-d", 50, true));
        await _router.ReportAsync("room-b", ("room-a", 10, true), ("room-c", 10, true), ("room-d", 10, true));
        await _router.ReportAsync("room-c", ("room-b", 10, true), ("room-d", 30, true));
        await _router.ReportAsync("room-d", ("room-a", 50, true), ("room-b", 10, true), ("room-c", 30, true));
        var whole = await WaitForAsync(t => t.Rooms.Length == 4 && t.Find("room-c", "room-a") is not null);

        var answer = await _router.RoutesAsync("room-a", to: "room-d");
        var mine = RouteTableCodec.Decode(await answer.Content.ReadAsByteArrayAsync());
        Assert.Equal(whole.Version, mine.Version);
        Assert.Equal(Describe(whole.Find("room-a", "room-c")), Describe(mine.Find("room-a", "room-c"))); // its own row
        Assert.Equal(Describe(whole.Find("room-c", "room-d")), Describe(mine.Find("room-c", "room-d"))); // into its destination
        Assert.Null(mine.Find("room-c", "room-b")); // neither

        // With no destinations (to empty) a relay reads only its own row: c's link to b going down moves c's routes,
        // none of a's, so a's long-poll sleeps through that version and, at its wait, only moves a on to it.
        var own = RouteTableCodec.Decode(await (await _router.RoutesAsync("room-a", to: "")).Content.ReadAsByteArrayAsync());
        Assert.Null(own.Find("room-c", "room-d"));
        Assert.Equal(Describe(whole.Find("room-a", "room-d")), Describe(own.Find("room-a", "room-d")));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var polling = _router.RoutesAsync("room-a", since: own.Version, wait: 3, to: "");
        await _router.ReportAsync("room-c", ("room-b", 10, false), ("room-d", 30, true));
        var after = await WaitForAsync(t => t.Find("room-c", "room-b")!.Primary.Length == 3);
        Assert.Empty(RouteTableDiff.Between(whole, after).Restricted("room-a", new HashSet<RoomId>()).Changes);
        var quiet = await polling.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.9), $"woken after {started.Elapsed}");
        Assert.Equal("diff", quiet.Headers.GetValues("X-Msdn-Table").Single());
        var moved = RouteTableCodec.DecodeDiff(await quiet.Content.ReadAsByteArrayAsync(), own);
        Assert.Empty(moved.Changes);
        Assert.True(moved.ToVersion > own.Version);

        // b's link to d going down moves a's own route to d: that wakes it, with a diff of what it reads only.
        var waking = _router.RoutesAsync("room-a", since: after.Version, wait: 10, to: "room-d");
        await _router.ReportAsync("room-b", ("room-a", 10, true), ("room-c", 10, true), ("room-d", 10, false));
        var seen = new List<RouteChange>();
        for (var held = after.Version; !seen.Any(c => c.From == "room-a" && c.To == "room-d");)
        {
            var woken = await waking.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("diff", woken.Headers.GetValues("X-Msdn-Table").Single());
            var diff = RouteTableCodec.DecodeDiff(await woken.Content.ReadAsByteArrayAsync(), mine);
            Assert.NotEmpty(diff.Changes);
            seen.AddRange(diff.Changes);
            held = diff.ToVersion;
            waking = _router.RoutesAsync("room-a", since: held, wait: 10, to: "room-d");
        }

        Assert.All(seen, c => Assert.True(c.From == "room-a" || c.To == "room-d", $"{c.From}>{c.To} is not a's to read"));

        Assert.Equal(HttpStatusCode.BadRequest, (await _router.RoutesAsync("room-a", to: "not a room")).StatusCode);
    }

    private static string Describe(Route? route) =>
        route is null ? "none" : $"{Route.Format(route.Primary)} {route.Cost} {(route.Backup is { } b ? Route.Format(b) : "-")} {route.BackupCost}";

    private async Task<RouteTable> WaitForAsync(Func<RouteTable, bool> ready)
    {
        long? since = null;
        var table = RouteTable.Empty;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var answer = await _router.RoutesAsync("room-a", since, wait: 1);
            if (answer.StatusCode == HttpStatusCode.OK)
            {
                var bytes = await answer.Content.ReadAsByteArrayAsync();
                table = answer.Headers.GetValues("X-Msdn-Table").Single() == "full" ? RouteTableCodec.Decode(bytes) : RouteTableCodec.DecodeDiff(bytes, table).ApplyTo(table);
                if (ready(table))
                {
                    return table;
                }
            }

            since = table.Version;
        }

        throw new TimeoutException("the route table never became ready");
    }
}
