using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;

namespace Msdn.Router.Tests.Routing;

/// <summary>The route computer's logic without a silo: reports in, versioned tables out.</summary>
public sealed class RouteBookTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-27T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RouterOptions _options = new() { StaleAfter = TimeSpan.FromSeconds(5), UnreachableAfter = TimeSpan.FromSeconds(15) };
    private readonly RouteBook _book;

    public RouteBookTests() => _book = new RouteBook(new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()), _options);

    [Fact]
    public void Routes_follow_the_reported_links_and_take_the_detour_around_a_bad_direct_link()
    {
        Report("a", ("b", 10), ("c", 100));
        Report("b", ("a", 10), ("c", 10));
        Report("c", ("a", 100), ("b", 10));
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        var route = _book.Table.Find("a", "c")!;
        Assert.Equal<RoomId>(["a", "b", "c"], route.Primary);
        Assert.Equal<RoomId>(["a", "c"], route.Backup!.Value);
        Assert.Equal(1, _book.Table.Version);

        // Nothing changed: the version stays.
        Assert.False(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal(1, _book.Table.Version);
    }

    [Fact]
    public void A_link_reported_down_is_urgent_and_leaves_the_graph()
    {
        Report("a", ("b", 10), ("c", 100));
        Report("b", ("a", 10), ("c", 10));
        Report("c", ("a", 100), ("b", 10));
        _book.Recompute(_clock.GetUtcNow());
        Assert.False(_book.UrgentChange);

        Report("b", ("a", 10, true), ("c", 10, false));
        Assert.True(_book.UrgentChange);
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal<RoomId>(["a", "c"], _book.Table.Find("a", "c")!.Primary);
        Assert.Equal(2, _book.Table.Version);
    }

    [Fact]
    public void A_used_link_coming_back_up_is_as_urgent_as_its_going_down_was()
    {
        Report("a", ("b", 10), ("c", 100));
        Report("b", ("a", 10), ("c", 10));
        Report("c", ("a", 100), ("b", 10));
        _book.Recompute(_clock.GetUtcNow());
        Report("b", ("a", 10, true), ("c", 10, false));
        Assert.True(_book.UrgentChange);
        _book.Recompute(_clock.GetUtcNow());

        Report("b", ("a", 10, true), ("c", 10, true)); // healed: flows waiting on a detour or out of the table take it now
        Assert.True(_book.UrgentChange);
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal<RoomId>(["a", "b", "c"], _book.Table.Find("a", "c")!.Primary);

        Report("b", ("a", 10, true), ("c", 10, true)); // still up: nothing urgent
        Assert.False(_book.UrgentChange);
    }

    [Fact]
    public void A_silent_room_goes_stale_then_unreachable_and_leaves_the_table()
    {
        Report("a", ("b", 10));
        Report("b", ("a", 10), ("c", 10));
        Report("c", ("b", 10));
        _book.Recompute(_clock.GetUtcNow());
        Assert.Equal(3, _book.Table.Rooms.Length);

        _clock.Advance(TimeSpan.FromSeconds(6));
        Report("a", ("b", 10));
        Report("b", ("a", 10), ("c", 10));
        Assert.Equal(RoomLiveness.Stale, _book.Rooms["c"].Liveness(_clock.GetUtcNow(), _options.StaleAfter, _options.UnreachableAfter));
        Assert.False(_book.AnyRoomLapsed(_clock.GetUtcNow()));

        _clock.Advance(TimeSpan.FromSeconds(10));
        Report("a", ("b", 10));
        Report("b", ("a", 10), ("c", 10));
        Assert.True(_book.AnyRoomLapsed(_clock.GetUtcNow()));
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal<RoomId>(["a", "b"], _book.Table.Rooms);
    }

    [Fact]
    public void Drift_too_small_to_move_a_route_does_not_ask_for_a_recomputation_but_accumulated_drift_does()
    {
        Report("a", ("b", 50));
        Report("b", ("a", 50));
        Assert.True(_book.NeedsRecompute(_clock.GetUtcNow()));
        _book.Recompute(_clock.GetUtcNow());
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()));

        Report("a", ("b", 50.6)); // +0.6 ms
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()));
        Report("a", ("b", 51.2)); // +1.2 ms, 2.4 %, measured from what the computation used
        Assert.True(_book.NeedsRecompute(_clock.GetUtcNow()));
        _book.Recompute(_clock.GetUtcNow());
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()));

        Report("c", ("a", 10)); // a new room
        Assert.True(_book.NeedsRecompute(_clock.GetUtcNow()));
    }

    [Fact]
    public void One_lost_probe_is_noise_to_the_controller_two_are_not()
    {
        var book = new RouteBook(new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions()), _options); // floor: 1 % of loss
        void Send(string room, string peer, double loss) => book.Accept(new RoomRecord
        {
            Room = room,
            LastReportAt = _clock.GetUtcNow(),
            Latest = new RoomReport { RelayEndpoint = $"127.0.0.1:{7500 + room[0]}", Links = [new LinkEstimate { Peer = peer, RttMs = 50, Loss = loss, Up = true }] },
        });
        void Lossy(double loss) => Send("a", "b", loss);
        Lossy(0);
        Send("b", "a", 0);
        book.Recompute(_clock.GetUtcNow());
        Assert.False(book.NeedsRecompute(_clock.GetUtcNow()));

        Lossy(0.01); // one probe of the agent's hundred
        Assert.False(book.NeedsRecompute(_clock.GetUtcNow()));
        Lossy(0.02); // a second: 1 point over the floor
        Assert.True(book.NeedsRecompute(_clock.GetUtcNow()));
    }

    [Fact]
    public void Peers_listed_in_any_order_give_the_same_table()
    {
        // Reports usually list peers in the rooms' order (the lookup tries the next room first); shuffled,
        // with a peer that is no room and the reporter itself among them, the links must land the same.
        var rooms = new[] { "a", "b", "c", "d", "e", "f" };
        double Rtt(string from, string to) => (from, to) is ("a", "b") or ("b", "a") ? 60 : 10 + (3 * Math.Abs(from[0] - to[0]));
        RouteBook Book(Func<string, IEnumerable<string>> order)
        {
            var book = new RouteBook(new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()), _options);
            foreach (var room in rooms)
            {
                var links = order(room).Select(peer => new LinkEstimate { Peer = peer, RttMs = peer == "zz" || peer == room ? 1 : Rtt(room, peer), Up = true }).ToList();
                book.Accept(new RoomRecord { Room = room, LastReportAt = _clock.GetUtcNow(), Latest = new RoomReport { RelayEndpoint = "127.0.0.1:7500", Links = links } });
            }

            book.Recompute(_clock.GetUtcNow());
            return book;
        }

        var ordered = Book(room => rooms.Where(peer => peer != room));
        var shuffled = Book(room => new[] { "zz", room }.Concat(rooms.Where(peer => peer != room).OrderBy(peer => (peer[0] * 31 % 11) - room[0])));
        Assert.Equal(30, ordered.Table.Routes().Count());
        Assert.Contains(ordered.Table.Routes(), r => r.Primary.Length > 2); // some pair takes a detour: the costs matter
        Assert.True(ordered.Table.SameRoutesAs(shuffled.Table));
    }

    [Theory]
    [InlineData("Draining")]
    [InlineData("Drained")]
    public void A_room_that_takes_no_new_transit_leaves_every_route_through_it_at_once_but_stays_reachable(string state)
    {
        // b is the cheap middle of every route between a, c and d.
        Report("a", ("b", 10), ("c", 100), ("d", 100));
        Report("b", ("a", 10), ("c", 10), ("d", 10));
        Report("c", ("a", 100), ("b", 10), ("d", 100));
        Report("d", ("a", 100), ("b", 10), ("c", 100));
        _book.Recompute(_clock.GetUtcNow());
        Assert.Equal<RoomId>(["a", "b", "c"], _book.Table.Find("a", "c")!.Primary);

        Report("b", state, ("a", 10), ("c", 10), ("d", 10));
        Assert.True(_book.UrgentChange);
        Assert.True(_book.Recompute(_clock.GetUtcNow()));

        foreach (var route in _book.Table.Routes())
        {
            Assert.DoesNotContain(new RoomId("b"), route.Primary.Skip(1).SkipLast(1));
            Assert.DoesNotContain(new RoomId("b"), (route.Backup ?? []).Skip(1).SkipLast(1));
        }

        Assert.Equal<RoomId>(["a", "c"], _book.Table.Find("a", "c")!.Primary);
        Assert.Equal<RoomId>(["a", "b"], _book.Table.Find("a", "b")!.Primary); // flows to b's own engines still reach it
        Assert.Equal<RoomId>(["b", "c"], _book.Table.Find("b", "c")!.Primary); // and b's own flows still have routes out

        // Serving again: routes come back through it.
        Report("b", "Serving", ("a", 10), ("c", 10), ("d", 10));
        Assert.True(_book.UrgentChange);
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal<RoomId>(["a", "b", "c"], _book.Table.Find("a", "c")!.Primary);
    }

    [Fact]
    public void Links_to_rooms_that_never_reported_are_counted_and_neither_tracked_nor_a_reason_to_recompute()
    {
        Report("a", ("b", 10));
        Report("b", ("a", 10));
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()));

        // 5,000 invented peers, different in every report: counted back, nothing for the computer to do.
        for (var round = 0; round < 20; round++)
        {
            var invented = Enumerable.Range(0, 5_000).Select(p => ($"invented-{round}-{p}", 10.0, true)).Prepend(("b", 10.0, true)).ToArray();
            Assert.Equal(5_000, Report("a", invented));
            Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()), "a link to a room that does not exist moves no route");
        }

        // A peer that then reports becomes a room, and the link the first room already named counts at once.
        Assert.Equal(0, Report("c", ("a", 5)));
        Assert.Equal(0, Report("a", ("b", 10), ("c", 5)));
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal<RoomId>(["a", "c"], _book.Table.Find("a", "c")!.Primary);
        Report("a", ("b", 10, true), ("c", 5, false));
        Assert.True(_book.UrgentChange, "a link the routes use going down is urgent, whichever room registered first");
    }

    [Fact]
    public void A_lapsed_room_keeps_its_registration_but_not_its_links()
    {
        Report("a", ("b", 10), ("c", 10));
        Report("b", ("a", 10));
        Report("c", ("a", 10));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Report("b", ("a", 10));
        Report("c", ("a", 10));
        _book.ForgetLinksOfLapsedRooms(_clock.GetUtcNow());
        Assert.Equal(2, _book.Rooms[new RoomId("a")].Latest!.Links.Count); // stale, not lapsed: its links still count

        _clock.Advance(TimeSpan.FromSeconds(6));
        _book.ForgetLinksOfLapsedRooms(_clock.GetUtcNow());
        Assert.Empty(_book.Rooms[new RoomId("a")].Latest!.Links);
        Assert.Contains(_book.Summaries(_clock.GetUtcNow()), s => s is { Room: "a", Liveness: RoomLiveness.Unreachable, RelayEndpoint.Length: > 0 });
        Assert.Single(_book.Rooms[new RoomId("b")].Latest!.Links);
    }

    [Fact]
    public void Amended_reports_are_weighed_by_what_they_change_in_any_order()
    {
        Report("a", ("b", 10), ("c", 100));
        Report("b", ("a", 10), ("c", 10));
        Report("c", ("a", 100), ("b", 10));
        _book.Recompute(_clock.GetUtcNow());
        var held = _book.Rooms[new RoomId("b")].Latest!;
        RoomReport Amend(params LinkEstimate[] news)
        {
            held = ReportAmendment.Apply(held, new RoomReport { RelayEndpoint = held.RelayEndpoint, Sequence = held.Sequence + 1, Since = held.Sequence, Links = news });
            _book.Accept(new RoomRecord { Room = "b", LastReportAt = _clock.GetUtcNow(), Latest = held });
            return held;
        }

        Amend(new LinkEstimate { Peer = "c", RttMs = 10.1 }); // noise
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()));

        // The same estimates again, as new objects listed in another order: nothing moved.
        _book.Accept(new RoomRecord { Room = "b", LastReportAt = _clock.GetUtcNow(), Latest = held with { Links = [.. held.Links.Reverse().Select(l => l with { })] } });
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow()));

        Amend(new LinkEstimate { Peer = "c", RttMs = 40 }); // past the threshold, measured from what the computation read
        Assert.True(_book.NeedsRecompute(_clock.GetUtcNow()));
        Assert.False(_book.UrgentChange);
        _book.Recompute(_clock.GetUtcNow());
        Assert.False(_book.NeedsRecompute(_clock.GetUtcNow())); // and now measured from 40

        Amend(new LinkEstimate { Peer = "a", RttMs = 10, Up = false });
        Assert.True(_book.UrgentChange);
        _book.Recompute(_clock.GetUtcNow());
        Amend(new LinkEstimate { Peer = "c", RttMs = 40 }); // the down link is held as it was: no second alarm
        Assert.False(_book.UrgentChange);
        Amend(new LinkEstimate { Peer = "a", RttMs = 10 }); // back up
        Assert.True(_book.UrgentChange);
    }

    [Fact]
    public void When_most_rooms_fall_silent_together_the_table_is_held_until_they_have_had_time_to_report_again()
    {
        void All()
        {
            Report("a", ("b", 10), ("c", 100), ("d", 50));
            Report("b", ("a", 10), ("c", 10), ("d", 50));
            Report("c", ("a", 100), ("b", 10), ("d", 50));
            Report("d", ("a", 50), ("b", 50), ("c", 50));
        }

        All();
        _book.Recompute(_clock.GetUtcNow());
        Assert.False(_book.Holding(_clock.GetUtcNow(), out _));

        // One room silent: its business, not the controller's.
        _clock.Advance(TimeSpan.FromSeconds(6));
        Report("a", ("b", 10), ("c", 100), ("d", 50));
        Report("b", ("a", 10), ("c", 10), ("d", 50));
        Report("c", ("a", 100), ("b", 10), ("d", 50));
        Assert.False(_book.Holding(_clock.GetUtcNow(), out var cutOff));
        Assert.False(cutOff);

        // Three of four silent together (stale, none lapsed yet): the controller is the one cut off.
        _clock.Advance(TimeSpan.FromSeconds(6));
        Report("a", ("b", 10), ("c", 100), ("d", 50));
        Assert.True(_book.Holding(_clock.GetUtcNow(), out cutOff));
        Assert.True(cutOff);
        _clock.Advance(TimeSpan.FromSeconds(20)); // all lapsed now: still held, the table keeps every room
        Assert.True(_book.Holding(_clock.GetUtcNow(), out cutOff));
        Assert.False(cutOff);

        // Heard again: held for FirstTableAfter while the rest report, then recomputed with everyone.
        All();
        Assert.True(_book.Holding(_clock.GetUtcNow(), out _));
        _clock.Advance(_options.FirstTableAfter);
        All();
        Assert.False(_book.Holding(_clock.GetUtcNow(), out _));
        _book.Recompute(_clock.GetUtcNow());
        Assert.Equal(4, _book.Table.Rooms.Length);
    }

    [Fact]
    public void A_report_with_no_news_is_not_weighed_again_but_its_links_to_a_room_that_joined_since_count()
    {
        Report("a", ("b", 10));
        Report("b", ("a", 10));
        var links = new List<LinkEstimate> { new() { Peer = "b", RttMs = 10 }, new() { Peer = "c", RttMs = 10 } };
        Assert.Equal(1, Accept("a", links)); // c has never reported
        _book.Recompute(_clock.GetUtcNow());
        Assert.False(_book.Dirty);

        Assert.Equal(1, Accept("a", links)); // the very list again (a heartbeat): the same answer, nothing moved
        Assert.False(_book.Dirty);

        Report("c", ("a", 10));
        Assert.Equal(0, Accept("a", links)); // the same list, but c is known now: a→c counts
        Assert.True(_book.Recompute(_clock.GetUtcNow()));
        Assert.Equal<RoomId>(["a", "c"], _book.Table.Find("a", "c")!.Primary);
    }

    private int Accept(string room, List<LinkEstimate> links) =>
        _book.Accept(new RoomRecord { Room = room, LastReportAt = _clock.GetUtcNow(), Latest = new RoomReport { RelayEndpoint = $"127.0.0.1:{7500 + room[0]}", Links = links } });

    private int Report(string room, params (string Peer, double Rtt, bool Up)[] links) => Report(room, "Serving", links);

    private int Report(string room, string state, params (string Peer, double Rtt)[] links) => Report(room, state, [.. links.Select(l => (l.Peer, l.Rtt, true))]);

    private int Report(string room, string state, (string Peer, double Rtt, bool Up)[] links) =>
        _book.Accept(new RoomRecord
        {
            Room = room,
            LastReportAt = _clock.GetUtcNow(),
            Latest = new RoomReport { RelayEndpoint = $"127.0.0.1:{7500 + room[0]}", RelayState = state, Links = [.. links.Select(l => new LinkEstimate { Peer = l.Peer, RttMs = l.Rtt, Up = l.Up })] },
        });

    private int Report(string room, params (string Peer, double Rtt)[] links) => Report(room, [.. links.Select(l => (l.Peer, l.Rtt, true))]);
}
