using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Tests.Failover;

/// <summary>A flow's decisions at its ingress, driven event by event on a fake clock (no sockets).</summary>
public sealed class FlowCoreTests
{
    internal static readonly RoomId A = "a", B = "b", C = "c", D = "d", E = "e";

    private static readonly RelayNodeOptions Options = new() { AckTimeout = TimeSpan.FromMilliseconds(300), PathSetupTimeout = TimeSpan.FromSeconds(2), NoRouteGrace = TimeSpan.FromSeconds(3) };

    /// <summary>A>B>C (20) primary, A>D>C (30) backup; E reaches C at 25 and A at 40.</summary>
    internal static RouteTable Table(double abMs = 10, RouteTable? previous = null) => new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions { MarginMs = 0, MarginPercent = 0 })
        .Compute(TopologySnapshot.Create([A, B, C, D, E], [.. Both(A, B, abMs), .. Both(B, C, 10), .. Both(A, D, 15), .. Both(D, C, 15), .. Both(A, E, 40), .. Both(E, C, 25)]), previous);

    private sealed class Rig
    {
        public FakeTimeProvider Time { get; } = new();

        public RouteTable Routes { get; set; } = Table();

        public PathKnowledge Knowledge { get; }

        public FlowCore Core { get; }

        public Rig(RoomId destination)
        {
            Knowledge = new PathKnowledge(A, Time);
            Core = new FlowCore(A, destination, new FlowSender(maxChunkBytes: 100), Knowledge, () => Routes, Options, Time);
        }

        public async Task WriteAsync(int bytes) => await Core.Sender.WriteAsync(new byte[bytes], default);

        public void SendAll()
        {
            while (Core.Sender.TryTakeNext(out _))
            {
            }
        }
    }

    [Fact]
    public async Task Takes_the_primary_then_the_backup_then_a_new_round_after_a_pause()
    {
        var rig = new Rig(C);
        Assert.Equal<RoomId>([A, B, C], rig.Core.ChooseNext().Path!);
        rig.Core.Opened();
        await rig.WriteAsync(250);
        rig.SendAll();

        var first = rig.Core.PathFailed(null);
        Assert.Equal<RoomId>([A, D, C], first.Next!);
        Assert.False(first.PauseFirst);
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
        Assert.Equal(0UL, rig.Core.ResumeFrom);

        var second = rig.Core.PathFailed(null);
        Assert.True(second.PauseFirst, "every candidate failed this round (no live links: no detour)");
        Assert.Equal<RoomId>([A, B, C], rig.Core.ChooseNext().Path!);
        Assert.Equal(2, rig.Core.Failovers);
    }

    [Fact]
    public async Task A_silent_path_stalls_after_its_patience_and_the_failover_counts_from_the_last_ack()
    {
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(300);
        rig.SendAll();

        Assert.Equal(TimeSpan.FromMilliseconds(300 + (3 * 20)), rig.Core.SetupPatienceNow); // the ack timeout, and three round trips of its 20 ms path
        rig.Time.Advance(TimeSpan.FromMilliseconds(350));
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action); // a new path has the set-up patience for its first ack
        Assert.True(rig.Core.Acked(1));
        var lastAck = rig.Time.GetTimestamp();
        rig.Time.Advance(TimeSpan.FromMilliseconds(299));
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action);
        rig.Time.Advance(TimeSpan.FromMilliseconds(2));
        var verdict = rig.Core.Tick();
        Assert.Equal(WatchdogAction.Stalled, verdict.Action);
        Assert.Equal(lastAck, rig.Core.FaultAt);

        rig.Core.PathFailed(null);
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
        Assert.Equal(1UL, rig.Core.ResumeFrom); // replays from the first unacknowledged chunk
        rig.Time.Advance(TimeSpan.FromMilliseconds(50));
        rig.Core.Opened();
        Assert.True(rig.Core.Acked(3));
        Assert.Null(rig.Core.FaultAt);
        Assert.Equal(TimeSpan.FromMilliseconds(351), Assert.Single(rig.Core.FailoverTimes));
    }

    [Fact]
    public void A_lost_relay_is_avoided_by_every_flow_of_the_relay_until_its_link_is_up()
    {
        var rig = new Rig(C);
        var other = new FlowCore(A, C, new FlowSender(), rig.Knowledge, () => rig.Routes, Options, rig.Time);
        rig.Core.ChooseNext();
        rig.Core.PathFailed(B);
        Assert.Equal<RoomId>([A, D, C], other.ChooseNext().Path!);
        rig.Knowledge.LinkUp(A, B);
        Assert.Equal<RoomId>([A, B, C], new FlowCore(A, C, new FlowSender(), rig.Knowledge, () => rig.Routes, Options, rig.Time).ChooseNext().Path!);
        rig.Knowledge.Unreachable(B);
        rig.Time.Advance(PathKnowledge.UnreachableFor);
        Assert.False(rig.Knowledge.IsDown(A, B), "the suspicion expires");
    }

    [Fact]
    public void Without_a_route_the_flow_waits_then_gives_up_after_the_grace()
    {
        var rig = new Rig(C) { Routes = RouteTable.Empty };
        var wait = rig.Core.ChooseNext();
        Assert.Null(wait.Path);
        Assert.Null(wait.GiveUp);
        Assert.True(wait.RetryAfter > TimeSpan.Zero);
        rig.Time.Advance(Options.NoRouteGrace);
        Assert.IsType<NoRouteException>(rig.Core.ChooseNext().GiveUp);
    }

    [Fact]
    public void A_route_that_returns_within_the_grace_restarts_its_clock()
    {
        var rig = new Rig(C) { Routes = RouteTable.Empty };
        rig.Core.ChooseNext();
        rig.Time.Advance(Options.NoRouteGrace - TimeSpan.FromMilliseconds(1));
        rig.Routes = Table();
        Assert.NotNull(rig.Core.ChooseNext().Path);
        rig.Routes = RouteTable.Empty;
        rig.Core.PathFailed(null);
        rig.Time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Null(rig.Core.ChooseNext().GiveUp);
    }

    [Fact]
    public async Task Moves_to_a_better_primary_only_once_established_and_not_mid_failover()
    {
        var rig = new Rig(C) { Routes = Table(abMs: 40) }; // A>D>C is the primary now
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
        rig.Core.Opened();
        await rig.WriteAsync(100);
        rig.SendAll();
        rig.Routes = Table(previous: rig.Routes);
        Assert.Null(rig.Core.ConsiderMove()); // not established yet: a path that has not proved itself is not judged
        rig.Core.Acked(1);
        var better = rig.Core.ConsiderMove();
        Assert.Equal<RoomId>([A, B, C], better!);
        Assert.Null(rig.Core.ConsiderMove()); // the same table is judged once
        Assert.Equal<RoomId>([A, B, C], rig.Core.ChooseNext().Path!);
        Assert.Equal(1, rig.Core.Moves);
        Assert.Equal(0, rig.Core.Failovers);
    }

    [Fact]
    public async Task A_flow_that_failed_over_returns_to_the_primary_once_its_hold_ends_and_its_links_are_up()
    {
        var rig = new Rig(C);
        Assert.Equal<RoomId>([A, B, C], rig.Core.ChooseNext().Path!);
        rig.Core.Opened();
        await rig.WriteAsync(300);
        rig.SendAll();
        rig.Core.Acked(1);
        rig.Knowledge.LinkDown(B, C); // the primary's link is cut
        Assert.Equal<RoomId>([A, D, C], rig.Core.PathFailed(null).Next!);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        rig.Core.Acked(2);

        rig.Knowledge.LinkUp(B, C); // healed at once, but the primary failed a moment ago
        rig.Routes = Table(previous: rig.Routes);
        Assert.Null(rig.Core.ConsiderMove());
        rig.Time.Advance(Options.FailedPathHold);
        Assert.Equal<RoomId>([A, B, C], rig.Core.ConsiderMove()!); // no new table needed: the hold's end is reason to look again
        Assert.Equal<RoomId>([A, B, C], rig.Core.ChooseNext().Path!);
        Assert.Equal((1, 1), (rig.Core.Moves, rig.Core.Failovers));
    }

    [Fact]
    public async Task While_its_links_are_down_a_failed_primary_is_not_returned_to_after_the_hold_either()
    {
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(300);
        rig.SendAll();
        rig.Core.Acked(1);
        rig.Knowledge.LinkDown(B, C);
        rig.Core.PathFailed(null);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        rig.Core.Acked(2);
        rig.Time.Advance(Options.FailedPathHold);
        Assert.Null(rig.Core.ConsiderMove());
    }

    [Fact]
    public void A_new_path_s_patience_follows_its_cost_up_to_the_set_up_timeout_and_a_detour_gets_all_of_it()
    {
        var rig = new Rig(C) { Routes = Table(abMs: 300) }; // A>D>C (30) primary, A>E>C (65) backup
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
        Assert.Equal(TimeSpan.FromMilliseconds(300 + 90), rig.Core.SetupPatienceNow);
        rig.Core.PathFailed(null);
        Assert.Equal<RoomId>([A, E, C], rig.Core.ChooseNext().Path!);
        Assert.Equal(TimeSpan.FromMilliseconds(300 + 195), rig.Core.SetupPatienceNow);

        var far = new Rig(C)
        {
            Routes = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create([A, C], [.. Both(A, C, 900)]), null),
        };
        Assert.Equal<RoomId>([A, C], far.Core.ChooseNext().Path!);
        Assert.Equal(Options.PathSetupTimeout, far.Core.SetupPatienceNow); // 300 + 2,700 ms: capped

        var detour = new Rig(C) { Routes = RouteTable.Empty };
        detour.Knowledge.LiveLinks = () => [(C, 30)];
        detour.Core.ChooseNext(); // the direct link the table does not know: no cost to go by
        Assert.Equal(Options.PathSetupTimeout, detour.Core.SetupPatienceNow);
    }

    [Fact]
    public async Task A_flow_its_egress_holds_waits_on_its_subscriber_not_on_the_path_once_what_was_in_flight_is_acked()
    {
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(300); // chunks 0..2
        Assert.True(rig.Core.Sender.TryTakeNext(out _));
        Assert.True(rig.Core.Sender.TryTakeNext(out _));
        Assert.True(rig.Core.Acked(1));
        rig.Core.Sender.Hold(); // chunk 1 is in flight; chunk 2 is not sent until released
        Assert.False(rig.Core.Sender.TryTakeNext(out _));

        rig.Time.Advance(TimeSpan.FromMilliseconds(301));
        Assert.Equal(WatchdogAction.Stalled, rig.Core.Tick().Action); // chunk 1 unacknowledged: the path may be broken

        rig.Core.Acked(2);
        rig.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action); // everything sent is acked: waiting on the subscriber
        rig.Core.Sender.Release();
        Assert.True(rig.Core.Sender.TryTakeNext(out var next));
        Assert.Equal(2UL, next.Sequence);
        rig.Time.Advance(TimeSpan.FromMilliseconds(301));
        Assert.Equal(WatchdogAction.Stalled, rig.Core.Tick().Action); // released and silent again: the path is the suspect
    }

    [Fact]
    public void Without_a_route_in_the_table_a_live_direct_link_carries_the_flow()
    {
        var rig = new Rig(C) { Routes = RouteTable.Empty };
        rig.Knowledge.LiveLinks = () => [(C, 30)];
        Assert.Equal<RoomId>([A, C], rig.Core.ChooseNext().Path!);

        var cut = new Rig(C) { Routes = RouteTable.Empty };
        cut.Knowledge.LiveLinks = () => [(B, 10)]; // no live link to the destination itself: wait for a table
        Assert.Null(cut.Core.ChooseNext().Path);
    }

    [Fact]
    public async Task The_end_is_sent_once_everything_is_acked_and_an_unconfirmed_end_fails_the_path()
    {
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(100);
        rig.SendAll();
        rig.Core.CompleteWriting();
        Assert.False(rig.Core.CloseConfirmed());
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action);
        rig.Core.Acked(1);
        Assert.Equal(WatchdogAction.SendClose, rig.Core.Tick().Action);
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action);
        rig.Time.Advance(Options.CloseTimeout + TimeSpan.FromMilliseconds(1));
        Assert.Equal(WatchdogAction.CloseUnconfirmed, rig.Core.Tick().Action);
        rig.Core.PathFailed(null);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        Assert.Equal(WatchdogAction.SendClose, rig.Core.Tick().Action); // said again on the next path
        Assert.True(rig.Core.CloseConfirmed());
    }

    [Fact]
    public async Task An_end_sent_before_a_move_is_confirmed_on_the_next_path_before_it_is_said_again()
    {
        // The end went out on the first path; the flow moved before its confirmation; the egress, holding the
        // finished flow, confirms at once on the next path, before the watchdog says the end there.
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(100);
        rig.SendAll();
        rig.Core.CompleteWriting();
        rig.Core.Acked(1);
        Assert.Equal(WatchdogAction.SendClose, rig.Core.Tick().Action);
        rig.Core.PathFailed(null);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        Assert.True(rig.Core.CloseConfirmed());
    }

    [Fact]
    public void A_down_link_breaks_the_paths_that_cross_it_and_is_avoided()
    {
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        Assert.True(rig.Core.Crosses(B, C));
        Assert.False(rig.Core.Crosses(C, B));
        rig.Knowledge.LinkDown(B, C);
        rig.Core.PathFailed(null);
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
    }

    [Fact]
    public async Task A_table_that_comes_mid_failover_rescues_the_attempt_still_waiting_for_its_first_ack()
    {
        var rig = new Rig(C);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(100);
        rig.SendAll();
        rig.Core.Acked(1);
        await rig.WriteAsync(100);
        rig.SendAll();
        rig.Time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(WatchdogAction.Stalled, rig.Core.Tick().Action);
        Assert.Equal<RoomId>([A, D, C], rig.Core.PathFailed(null).Next!);
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
        rig.Core.Opened();
        Assert.Null(rig.Core.ConsiderRescue()); // the table it was chosen from has nothing new to say

        // The controller learnt that B and D are cut off: its next table goes through E.
        rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        rig.Routes = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions { MarginMs = 0, MarginPercent = 0 })
            .Compute(TopologySnapshot.Create([A, B, C, D, E], [.. Both(A, E, 40), .. Both(E, C, 25)]), rig.Routes);
        Assert.Null(rig.Core.ConsiderMove()); // not a move: the flow is failing over
        Assert.Equal<RoomId>([A, E, C], rig.Core.ConsiderRescue()!);
        Assert.Null(rig.Core.ConsiderRescue()); // each table is weighed once
        Assert.Equal<RoomId>([A, E, C], rig.Core.ChooseNext().Path!);
        rig.Core.Opened();
        rig.Core.Acked(2);
        Assert.Equal((1, 1, 0), (rig.Core.Failovers, rig.Core.Rescues, rig.Core.Moves));
        Assert.Null(rig.Core.FaultAt);
        Assert.Equal(TimeSpan.FromMilliseconds(700), Assert.Single(rig.Core.FailoverTimes)); // from the last ack, through the rescue
    }

    [Fact]
    public async Task An_attempt_that_answered_is_not_rescued()
    {
        var rig = new Rig(C) { Routes = Table(abMs: 40) };
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(100);
        rig.SendAll();
        rig.Core.PathFailed(null);
        rig.Core.ChooseNext();
        rig.Core.Opened();
        rig.Core.Acked(1);
        rig.Routes = Table(previous: rig.Routes);
        Assert.Null(rig.Core.ConsiderRescue());
        Assert.Equal(0, rig.Core.Rescues);
    }

    [Fact]
    public async Task A_room_suspected_in_a_loss_burst_ends_an_attempt_through_it_at_once_and_is_avoided_until_it_answers()
    {
        var rig = new Rig(C);
        rig.Knowledge.LiveLinks = () => [(B, 10), (D, 15), (E, 40)];
        rig.Core.ChooseNext();
        rig.Core.Opened();
        await rig.WriteAsync(100);
        rig.SendAll();
        Assert.Equal<RoomId>([A, D, C], rig.Core.PathFailed(null).Next!);
        Assert.Equal<RoomId>([A, D, C], rig.Core.ChooseNext().Path!);
        rig.Core.Opened();
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action);

        rig.Knowledge.BurstSuspicion(D, suspected: true);
        Assert.True(rig.Knowledge.IsDown(E, D), "a suspected room is avoided whichever room the path comes from");
        Assert.Equal(WatchdogAction.CrossesDownLink, rig.Core.Tick().Action);
        Assert.Equal<RoomId>([A, E, C], rig.Core.PathFailed(null).Next!);

        rig.Knowledge.BurstSuspicion(D, suspected: false);
        Assert.False(rig.Knowledge.IsDown(A, D), "it answered: not cut off after all");
    }

    [Fact]
    public void A_last_resort_taken_across_a_suspected_room_is_given_its_patience()
    {
        var rig = new Rig(C);
        rig.Knowledge.BurstSuspicion(B, suspected: true);
        rig.Knowledge.BurstSuspicion(D, suspected: true);
        Assert.Equal<RoomId>([A, B, C], rig.Core.ChooseNext().Path!); // nothing clean: the primary
        rig.Core.Opened();
        Assert.Equal(WatchdogAction.Carry, rig.Core.Tick().Action);
    }

    private static Link[] Both(RoomId x, RoomId y, double rtt) => [new(x, y, LinkQuality.FromRtt(rtt)), new(y, x, LinkQuality.FromRtt(rtt))];
}
