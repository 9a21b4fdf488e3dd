using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Detection;
using Msdn.Probe.Protocol;
using Msdn.Probe.Tests.Support;
using Msdn.Probe.Transport;
using Xunit.Abstractions;

namespace Msdn.Probe.Tests.Agent;

/// <summary>Real agents, in-memory network, fake clock.</summary>
public sealed class ProbeAgentVirtualTimeTests(ITestOutputHelper output)
{
    private static readonly RoomId A = "room-a";
    private static readonly RoomId B = "room-b";

    [Fact]
    public async Task Measures_the_injected_rtt_and_brings_the_link_up()
    {
        await using var world = new VirtualProbeWorld();
        world.Network.LinkDelay = (_, _) => TimeSpan.FromMilliseconds(10);
        world.Start([A, B]);
        world.Run(TimeSpan.FromSeconds(8));

        var link = Assert.Single(world[A].Snapshot());
        Assert.Equal(B, link.Peer);
        Assert.Equal(LinkState.Up, link.State);
        Assert.InRange(link.Quality.RttMs, 19, 22.5);
        Assert.InRange(link.RttMinimumMs, 19, 21.5);
        Assert.Equal(0, link.Quality.Loss);
        Assert.Equal(0, link.ForwardLoss);
        Assert.Equal(0, link.ReverseLoss);
    }

    [Fact]
    public async Task A_long_link_comes_up_and_one_near_the_base_timeout_does_not_flap()
    {
        // 320 ms round trips would never answer within the 250 ms base timeout; 240 ± 20 ms ones would
        // answer just in time most of the time and be declared down whenever four in a row ran late.
        await using var world = new VirtualProbeWorld();
        var random = new Random(3);
        RoomId c = "room-c";
        var (a, b) = (VirtualProbeWorld.Address(A), VirtualProbeWorld.Address(B));
        world.Network.LinkDelay = (from, to) =>
            (from.Equals(a) && to.Equals(b)) || (from.Equals(b) && to.Equals(a)) ? TimeSpan.FromMilliseconds(160)
            : TimeSpan.FromMilliseconds(110 + (random.NextDouble() * 20));
        world.Start([A, B, c]);
        var changes = new List<LinkStateChange>();
        using var watch = world[A].Subscribe(changes.Add);
        world.Run(TimeSpan.FromSeconds(60));

        var links = world[A].Snapshot().ToDictionary(l => l.Peer);
        Assert.Equal(LinkState.Up, links[B].State);
        Assert.InRange(links[B].RttMinimumMs, 319, 322);
        Assert.Equal(LinkState.Up, links[c].State);
        Assert.Equal(0, links[c].Quality.Loss);
        Assert.DoesNotContain(changes, change => change.State == LinkState.Down);
    }

    [Fact]
    public async Task Estimates_from_scripted_arrivals_match_hand_computed_values()
    {
        await using var world = new VirtualProbeWorld();
        var a = VirtualProbeWorld.Address(A);
        var script = new Queue<double>([10, 30, 10, 20]); // one-way delay of each request; replies are instant
        world.Network.LinkDelay = (from, _) => from.Equals(a) ? (script.TryDequeue(out var ms) ? TimeSpan.FromMilliseconds(ms) : null) : TimeSpan.Zero;
        world.Start([A, B]);
        world[B].SetPeers([]); // only A probes, so only A's requests consume the script
        Assert.True(world.RunUntil(() => world[A].Counters.RepliesReceived == 4, TimeSpan.FromSeconds(10)));

        var link = Assert.Single(world[A].Snapshot());
        // The fake clock's timers fire within a few microseconds of their due time, hence the 20 µs tolerance.
        // RTT samples 10, 30, 10, 20 ms. EWMA (gain 1/8): 10 → 12.5 → 12.1875 → 13.1640625.
        Assert.InRange(link.Quality.RttMs, 13.1640625 - 0.02, 13.1640625 + 0.02);
        Assert.InRange(link.RttMinimumMs, 10 - 0.02, 10 + 0.02);
        // RFC 3550 on |ΔRTT| = 20, 20, 10: 1.25 → 2.421875 → 2.8955078125.
        Assert.InRange(link.Quality.JitterMs, 2.8955078125 - 0.02, 2.8955078125 + 0.02);
        Assert.Equal(0, link.Quality.Loss);
    }

    [Theory]
    [InlineData(true, 1000)]  // a link carrying flows (fast interval): the target
    [InlineData(false, 1800)] // an idle link waits up to one base interval (1.1 s) for its next probe first
    public async Task Cut_to_down_p99_over_a_hundred_cuts(bool active, double boundMs)
    {
        await using var world = new VirtualProbeWorld();
        var cut = false;
        world.Network.LinkDelay = (_, _) => cut ? null : TimeSpan.FromMilliseconds(5);
        world.Start([A, B]);
        world[A].SetActive(B, active);
        DateTimeOffset? downAt = null;
        var up = false;
        using var _ = world[A].Subscribe(change =>
        {
            if (change.State == LinkState.Down)
            {
                downAt = change.At;
            }
            else
            {
                up = true;
            }
        });

        var random = new Random(42);
        var delays = new List<double>();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(world.RunUntil(() => up, TimeSpan.FromSeconds(5)), "the link never came up");
            world.Run(TimeSpan.FromMilliseconds(random.Next(200, 1200))); // cut at a random phase of the probe schedule
            cut = true;
            downAt = null;
            var cutAt = world.Clock.GetUtcNow();
            Assert.True(world.RunUntil(() => downAt is not null, TimeSpan.FromSeconds(3)), $"cut {i} was never declared down");
            delays.Add((downAt!.Value - cutAt).TotalMilliseconds);
            up = false;
            cut = false;
        }

        delays.Sort();
        var p50 = delays[49];
        var p99 = delays[98];
        output.WriteLine($"{(active ? "active" : "idle")} link, cut → down over {delays.Count} cuts: p50 {p50:F0} ms, p99 {p99:F0} ms, max {delays[^1]:F0} ms");
        Assert.True(p99 <= boundMs, $"p99 {p99} ms");
    }

    [Fact]
    public async Task A_healed_link_reports_no_loss_from_its_outage_once_it_is_up()
    {
        await using var world = new VirtualProbeWorld();
        var cut = false;
        world.Network.LinkDelay = (_, _) => cut ? null : TimeSpan.FromMilliseconds(5);
        world.Start([A, B]);
        world[A].SetActive(B, true);
        world.Run(TimeSpan.FromSeconds(5));
        cut = true;
        world.Run(TimeSpan.FromSeconds(20)); // a partition: every probe of the window times out
        Assert.Equal(LinkState.Down, Assert.Single(world[A].Snapshot()).State);
        Assert.True(Assert.Single(world[A].Snapshot()).Quality.Loss > 0.9);

        cut = false;
        var healedAt = world.Clock.GetUtcNow();
        Assert.True(world.RunUntil(() => world[A].Snapshot()[0].State == LinkState.Up, TimeSpan.FromSeconds(3)), "the link never came back up");
        var link = world[A].Snapshot()[0];
        output.WriteLine($"up {(world.Clock.GetUtcNow() - healedAt).TotalMilliseconds:F0} ms after the heal, loss {link.Quality.Loss:F3}, forward {link.ForwardLoss}");
        Assert.Equal(0, link.Quality.Loss); // usable at once: the outage is not this link's loss now
        Assert.True(link.ForwardLoss is null or 0);
        Assert.True(world.Clock.GetUtcNow() - healedAt <= TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task One_way_loss_shows_in_its_own_direction()
    {
        await using var world = new VirtualProbeWorld();
        var random = new Random(7);
        var a = VirtualProbeWorld.Address(A);
        world.Network.LinkDelay = (from, _) => from.Equals(a) && random.NextDouble() < 0.3 ? null : TimeSpan.FromMilliseconds(5);
        world.Start([A, B]);
        world[A].SetActive(B, true);
        world.Run(TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(2));

        var link = Assert.Single(world[A].Snapshot());
        output.WriteLine($"forward {link.ForwardLoss:F3}, reverse {link.ReverseLoss:F3}, round trip {link.Quality.Loss:F3}, sent {link.ProbesSent}");
        Assert.InRange(link.ForwardLoss!.Value, 0.15, 0.45);
        Assert.InRange(link.ReverseLoss!.Value, 0, 0.05);
        Assert.InRange(link.Quality.Loss, 0.15, 0.45);
    }

    [Fact]
    public async Task Forged_replayed_and_unsolicited_datagrams_are_counted_not_measured()
    {
        await using var world = new VirtualProbeWorld();
        world.Network.LinkDelay = (_, _) => TimeSpan.FromMilliseconds(5);
        world.Start([A, B]);
        world.Run(TimeSpan.FromSeconds(3));
        var before = Assert.Single(world[A].Snapshot());

        await using var attacker = world.Network.CreateSocket(new DnsEndPoint("attacker", 1));
        var key = Convert.FromBase64String(VirtualProbeWorld.Key);
        var buffer = new byte[ProbeCodec.MaxLength];
        void Send(ProbePacket packet, byte[] withKey)
        {
            var length = ProbeCodec.Encode(packet, withKey, buffer);
            attacker.Send(buffer.AsSpan(0, length), VirtualProbeWorld.Address(A));
        }

        Send(new ProbePacket(ProbeKind.Reply, B, 1, 1, 0, 1), [.. key.Select(b => (byte)~b)]); // forged: wrong key
        Send(new ProbePacket(ProbeKind.Request, "room-z", 9, 40, 0, 0), key);
        Send(new ProbePacket(ProbeKind.Request, "room-z", 9, 40, 0, 0), key);                  // replayed
        Send(new ProbePacket(ProbeKind.Reply, B, 1, 999_999, 5, 1), key);                      // answers nothing
        attacker.Send([1, 2, 3], VirtualProbeWorld.Address(A));                              // garbage
        world.Run(TimeSpan.FromSeconds(1));

        var counters = world[A].Counters;
        Assert.Equal(1, counters.Rejected(ProbeRejection.BadMac));
        Assert.Equal(1, counters.Rejected(ProbeRejection.Replayed));
        Assert.Equal(1, counters.Rejected(ProbeRejection.Unsolicited));
        Assert.Equal(1, counters.Rejected(ProbeRejection.TooShort));
        var after = Assert.Single(world[A].Snapshot());
        Assert.Equal(LinkState.Up, after.State);
        Assert.InRange(after.Quality.RttMs, before.Quality.RttMs - 1, before.Quality.RttMs + 1);
    }

    [Fact]
    public async Task A_request_captured_from_an_earlier_session_is_refused_when_replayed_and_the_count_goes_on()
    {
        await using var world = new VirtualProbeWorld();
        world.Start([A]);
        await using var prober = world.Network.CreateSocket(new DnsEndPoint("prober", 1));
        var key = Convert.FromBase64String(VirtualProbeWorld.Key);
        var buffer = new byte[ProbeCodec.MaxLength];
        var counts = new List<uint>();
        ((IDatagramPushSource)prober).SetReceiver((datagram, _) =>
        {
            if (ProbeCodec.TryDecode(datagram, key, out var reply) == ProbeRejection.None)
            {
                counts.Add(reply.RequestsReceived);
            }
        });
        void Send(uint session, ulong sequence)
        {
            var length = ProbeCodec.Encode(new ProbePacket(ProbeKind.Request, "room-p", session, sequence, 0, 0), key, buffer);
            prober.Send(buffer.AsSpan(0, length), VirtualProbeWorld.Address(A));
        }

        for (ulong sequence = 1; sequence <= 5; sequence++)
        {
            Send(session: 7, sequence); // the prober's first run
        }

        Send(session: 8, 1); // it restarted: a new session
        Send(session: 8, 2);
        for (var i = 0; i < 10; i++)
        {
            Send(session: 7, 3); // a captured request of the first run, replayed
        }

        Send(session: 8, 3);
        world.Run(TimeSpan.FromSeconds(1));

        Assert.Equal(10, world[A].Counters.Rejected(ProbeRejection.Replayed));
        Assert.Equal<uint>([1, 2, 3, 4, 5, 1, 2, 3], counts); // the new session's count was not reset by the replays
    }

    [Fact]
    public async Task Reports_arrive_every_interval_and_peers_can_change()
    {
        var sink = new CollectingSink();
        await using var world = new VirtualProbeWorld();
        world.Network.LinkDelay = (_, _) => TimeSpan.FromMilliseconds(5);
        RoomId c = "room-c";
        world.Start([A, B, c], reports: sink);
        world.Run(TimeSpan.FromSeconds(7), TimeSpan.FromMilliseconds(2));
        var fromA = sink.Reports.Where(r => r.Room == A).ToList();
        Assert.InRange(fromA.Count, 3, 4); // every 2 s
        Assert.All(fromA[^1].Links, l => Assert.True(l.Quality.IsUp));
        Assert.Equal([B, c], fromA[^1].Links.Select(l => l.Peer).ToArray());

        world[A].SetPeers([new ProbePeer(c, VirtualProbeWorld.Address(c))]);
        world.Run(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(2));
        Assert.Equal([c], sink.Reports.Last(r => r.Room == A).Links.Select(l => l.Peer).ToArray());
        Assert.Equal(2, fromA[^1].ToLinks().Count());
    }

    [Fact]
    public async Task A_region_cut_off_sets_off_a_loss_burst_that_finds_its_links_sooner_and_suspects_only_its_rooms()
    {
        var withBursts = await CutRegionAsync(bursts: true);
        var without = await CutRegionAsync(bursts: false);
        output.WriteLine($"cut → down, slowest of the region's 12 links: {withBursts.TotalMilliseconds:F0} ms with loss bursts, {without.TotalMilliseconds:F0} ms without");
        Assert.True(withBursts <= TimeSpan.FromMilliseconds(1200), $"with bursts the last cut link went down {withBursts.TotalMilliseconds:F0} ms after the cut");
        Assert.True(withBursts + TimeSpan.FromMilliseconds(300) <= without, "the burst should bring the slowest link's down forward");
    }

    /// <summary>Room A and 20 peers; at a fixed phase of the probe schedule, A loses the 12 of them in one region. The slowest cut → down.</summary>
    private static async Task<TimeSpan> CutRegionAsync(bool bursts)
    {
        await using var world = new VirtualProbeWorld();
        var peers = Enumerable.Range(0, 20).Select(i => new RoomId($"peer-{i}")).ToList();
        var region = peers.Take(12).Select(VirtualProbeWorld.Address).ToHashSet();
        var a = VirtualProbeWorld.Address(A);
        var cut = false;
        world.Network.LinkDelay = (from, to) => cut && ((from.Equals(a) && region.Contains(to)) || (to.Equals(a) && region.Contains(from))) ? null : TimeSpan.FromMilliseconds(20);
        world.Start([A, .. peers], room => VirtualProbeWorld.Options(room) is var o && !bursts ? new ProbeAgentOptions { Room = o.Room, ClusterKey = o.ClusterKey, BurstFastProbing = TimeSpan.Zero } : VirtualProbeWorld.Options(room));
        var down = new Dictionary<RoomId, DateTimeOffset>();
        var suspected = new HashSet<RoomId>();
        var cleared = new HashSet<RoomId>();
        using var watch = world[A].Subscribe(change =>
        {
            if (change.State == LinkState.Down)
            {
                down[change.To] = change.At;
            }
        });
        world[A].BurstSuspicion += (peer, suspect) => (suspect ? suspected : cleared).Add(peer);
        Assert.True(world.RunUntil(() => world[A].Snapshot().All(l => l.State == LinkState.Up), TimeSpan.FromSeconds(10)));
        world.Run(TimeSpan.FromMilliseconds(637));

        cut = true;
        var cutAt = world.Clock.GetUtcNow();
        Assert.True(world.RunUntil(() => down.Count == 12, TimeSpan.FromSeconds(4)), $"{down.Count} of 12 cut links declared down in 4 s");
        Assert.Equal(bursts ? 1 : 0, world[A].LossBursts);
        Assert.Equal(bursts ? peers.Take(12).ToHashSet() : [], suspected); // only the cut rooms
        Assert.Empty(cleared);
        var slowest = down.Values.Max() - cutAt;

        cut = false;
        Assert.True(world.RunUntil(() => cleared.Count == suspected.Count && world[A].Snapshot().All(l => l.State == LinkState.Up), TimeSpan.FromSeconds(5)), "a suspect that answers again is cleared");
        return slowest;
    }

    [Fact]
    public async Task One_link_cut_is_not_a_burst()
    {
        await using var world = new VirtualProbeWorld();
        var peers = Enumerable.Range(0, 20).Select(i => new RoomId($"peer-{i}")).ToList();
        var (a, lost) = (VirtualProbeWorld.Address(A), VirtualProbeWorld.Address(peers[3]));
        var cut = false;
        world.Network.LinkDelay = (from, to) => cut && ((from.Equals(a) && to.Equals(lost)) || (to.Equals(a) && from.Equals(lost))) ? null : TimeSpan.FromMilliseconds(20);
        world.Start([A, .. peers]);
        var suspected = 0;
        world[A].BurstSuspicion += (_, _) => suspected++;
        Assert.True(world.RunUntil(() => world[A].Snapshot().All(l => l.State == LinkState.Up), TimeSpan.FromSeconds(10)));
        cut = true;
        Assert.True(world.RunUntil(() => world[A].Snapshot().Any(l => l.State == LinkState.Down), TimeSpan.FromSeconds(3)));
        Assert.Equal(0, world[A].LossBursts);
        Assert.Equal(0, suspected);
    }

    [Fact]
    public void Bad_settings_are_refused_naming_the_setting()
    {
        var world = new Transport.InMemoryProbeNetwork(TimeProvider.System);
        var options = new ProbeAgentOptions { Room = "room-a", ClusterKey = "c2hvcnQ=", FastInterval = TimeSpan.FromSeconds(5), BurstLinks = 1, BurstFraction = 2, BurstWindow = TimeSpan.Zero, BurstFastProbing = TimeSpan.FromSeconds(-1) };
        var error = Assert.Throws<OptionsValidationException>(() => new ProbeAgent(options, world.CreateSocket(new DnsEndPoint("x", 1)), TimeProvider.System, NullLogger<ProbeAgent>.Instance));
        Assert.Contains(error.Failures, f => f.Contains("Probe:ClusterKey", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Probe:FastInterval", StringComparison.Ordinal));
        foreach (var setting in new[] { "BurstLinks", "BurstFraction", "BurstWindow", "BurstFastProbing" })
        {
            Assert.Contains(error.Failures, f => f.StartsWith($"Probe:{setting} ", StringComparison.Ordinal));
        }
    }
}
