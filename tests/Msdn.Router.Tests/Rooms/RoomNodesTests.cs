using Msdn.Router.Rooms;
using Msdn.Router.Routing;

namespace Msdn.Router.Tests.Rooms;

/// <summary>
/// A room of several relays: a relay at a new endpoint joins (up to the limit), another certificate at a live
/// relay's endpoint is refused, a relay that moved keeps its place, and routes see the room as one.
/// </summary>
public sealed class RoomNodesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly RouterOptions Options = new() { StaleAfter = TimeSpan.FromSeconds(5), UnreachableAfter = TimeSpan.FromSeconds(15), MaxRelaysPerRoom = 3 };

    [Theory]
    [InlineData(1.0, "BBBB", true)]    // another certificate while the holder reported a second ago: a second claim on its place
    [InlineData(4.9, "BBBB", true)]
    [InlineData(5.0, "BBBB", false)]   // the holder went stale: a re-keyed or replacement relay takes its place
    [InlineData(1.0, "AAAA", false)]   // the holder itself
    [InlineData(1.0, "aaaa", false)]   // fingerprints are hex: case does not make another relay
    [InlineData(1.0, null, false)]     // a relay that registers no certificate (an older one) is not judged by it
    public void Another_certificate_at_a_live_relays_endpoint_is_refused_only_while_it_is_heard_from(double secondsSinceHolder, string? presented, bool refused)
    {
        var room = Room(Node("10.0.0.1:7000", "AAAA", Now - TimeSpan.FromSeconds(secondsSinceHolder)));
        var conflict = Conflict(room, Report("10.0.0.1:7000", presented));
        Assert.Equal(refused, conflict is not null);
        if (conflict is not null)
        {
            Assert.Contains("10.0.0.1:7000", conflict, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_certificate_the_CA_issued_to_a_relay_is_that_relay_renewing_not_a_second_claim()
    {
        var room = Room(Node("10.0.0.1:7000", "AAAA", Now) with { IssuedFingerprint = Fingerprint("CCCC") });
        Assert.Null(Conflict(room, Report("10.0.0.1:7000", "CCCC")));
        Assert.NotNull(Conflict(room, Report("10.0.0.1:7000", "BBBB")));
    }

    [Fact]
    public void A_relay_at_another_endpoint_joins_the_room_up_to_the_limit()
    {
        var room = Room(Node("10.0.0.1:7000", "AAAA", Now), Node("10.0.0.2:7000", "BBBB", Now));
        room = Take(room, Report("10.0.0.3:7000", "CCCC"));
        Assert.Equal(["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"], room.Nodes.Select(n => n.Endpoint));

        var refused = Conflict(room, Report("10.0.0.4:7000", "DDDD"));
        Assert.NotNull(refused);
        Assert.Contains("Router:MaxRelaysPerRoom", refused, StringComparison.Ordinal);

        // One silent past the unreachable threshold makes room for it, and is let go when it joins.
        room = room with { Nodes = [.. room.Nodes.Select(n => n.Endpoint == "10.0.0.2:7000" ? n with { LastReportAt = Now - Options.UnreachableAfter } : n)] };
        Assert.Null(Conflict(room, Report("10.0.0.4:7000", "DDDD")));
        Assert.Equal(["10.0.0.1:7000", "10.0.0.3:7000", "10.0.0.4:7000"], Take(room, Report("10.0.0.4:7000", "DDDD")).Nodes.Select(n => n.Endpoint));
    }

    [Fact]
    public void A_relay_that_moved_to_another_port_keeps_its_place()
    {
        var room = Room(Node("10.0.0.1:7000", "AAAA", Now - TimeSpan.FromSeconds(1)), Node("10.0.0.2:7000", "BBBB", Now));
        var moved = Take(room, Report("10.0.0.1:7555", "AAAA")); // restarted on a new port, same certificate
        Assert.Equal(["10.0.0.1:7555", "10.0.0.2:7000"], moved.Nodes.Select(n => n.Endpoint));
    }

    [Fact]
    public void A_record_of_one_relay_kept_before_rooms_had_several_is_read_as_that_relay()
    {
        var legacy = new RoomRecord { Room = "room-a", Latest = Report("10.0.0.1:7000", "AAAA"), LastReportAt = Now, IssuedFingerprint = Fingerprint("CCCC") };
        var node = Assert.Single(RoomNodes.Of(legacy));
        Assert.Equal("10.0.0.1:7000", node.Endpoint);
        Assert.Null(Conflict(legacy, Report("10.0.0.1:7000", "CCCC"))); // its renewal still counts
    }

    [Fact]
    public void Routes_see_the_room_as_one_serving_while_any_relay_serves_each_link_at_its_best()
    {
        var a = Node("10.0.0.1:7000", "AAAA", Now) with
        {
            Latest = Report("10.0.0.1:7000", "AAAA") with { RelayState = "Draining", Links = [Link("room-b", 30, up: true), Link("room-c", 20, up: false)], Load = Load(flows: 10, utilization: 0.5) },
        };
        var b = Node("10.0.0.2:7000", "BBBB", Now) with
        {
            Latest = Report("10.0.0.2:7000", "BBBB") with { Links = [Link("room-b", 40, up: true), Link("room-c", 90, up: true), Link("room-d", 5, up: true)], Load = Load(flows: 30, utilization: 0.7) },
        };
        var merged = RoomNodes.Merge([a, b], Now, Options.UnreachableAfter);

        Assert.Equal("Serving", merged.RelayState);
        Assert.Equal("10.0.0.2:7000", merged.RelayEndpoint); // the first serving relay represents the room
        Assert.Equal([("room-b", 30.0, true), ("room-c", 90.0, true), ("room-d", 5.0, true)], merged.Links.Select(l => (l.Peer, l.RttMs, l.Up)));
        Assert.Equal(40, merged.Load!.Flows);

        // What the relays carry against what the serving one can: the draining relay's flows count, its capacity does not.
        Assert.Equal(1.2, RoomNodes.RoomLoad([a, b])!.Value, 6);
        Assert.Equal(0.6, RoomNodes.RoomLoad([a with { Latest = a.Latest with { RelayState = "Serving" } }, b])!.Value, 6);
    }

    [Fact]
    public void A_relay_gone_silent_stops_representing_the_room_at_its_siblings_next_report()
    {
        // Peers probe the room at its representative: a dead one must not hold the room's link down for long.
        var first = Node("10.0.0.1:7000", "AAAA", Now - TimeSpan.FromSeconds(4)); // killed 4 s ago, reports every second
        var second = Node("10.0.0.2:7000", "BBBB", Now);
        Assert.Equal("10.0.0.2:7000", RoomNodes.Merge([first, second], Now, Options.UnreachableAfter).RelayEndpoint);
        Assert.Equal("10.0.0.1:7000", RoomNodes.Merge([first with { LastReportAt = Now - TimeSpan.FromSeconds(1) }, second], Now, Options.UnreachableAfter).RelayEndpoint);
    }

    private static string? Conflict(RoomRecord room, RoomReport report)
    {
        var nodes = RoomNodes.Of(room);
        return RoomNodes.Conflict(room.Room, nodes, RoomNodes.Find(nodes, report), report, Now, Options);
    }

    private static RoomRecord Take(RoomRecord room, RoomReport report) => RoomNodes.Take(room, RoomNodes.Find(RoomNodes.Of(room), report), report, Now, Options);

    private static RoomRecord Room(params NodeRecord[] nodes) => new() { Room = "room-a", Nodes = nodes, Latest = RoomNodes.Merge(nodes, Now, Options.UnreachableAfter), LastReportAt = Now };

    private static NodeRecord Node(string endpoint, string fingerprint, DateTimeOffset at) => new() { Latest = Report(endpoint, fingerprint), LastReportAt = at };

    private static RoomReport Report(string endpoint, string? fingerprint) => new() { RelayEndpoint = endpoint, CertificateFingerprint = fingerprint is null ? null : Fingerprint(fingerprint) };

    private static LinkEstimate Link(string peer, double rtt, bool up) => new() { Peer = peer, RttMs = rtt, Up = up };

    private static RelayLoadReport Load(int flows, double utilization) => new() { Flows = flows, Utilization = utilization };

    private static string Fingerprint(string pattern) => string.Concat(Enumerable.Repeat(pattern, 16));
}
