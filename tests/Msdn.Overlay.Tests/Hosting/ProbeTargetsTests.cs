using System.Net;
using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Hosting;

namespace Msdn.Overlay.Tests.Hosting;

/// <summary>Which relay of a peer room the probe agent measures the room at, and moving on when it stops answering.</summary>
public sealed class ProbeTargetsTests
{
    private static readonly RoomId C = "room-c";
    private static readonly (EndPoint Relay, EndPoint Probe)[] Relays =
    [
        (IPEndPoint.Parse("10.0.0.1:7000"), IPEndPoint.Parse("10.0.0.1:7001")),
        (IPEndPoint.Parse("10.0.0.2:7000"), IPEndPoint.Parse("10.0.0.2:7001")),
        (IPEndPoint.Parse("10.0.0.3:7000"), IPEndPoint.Parse("10.0.0.3:7001")),
    ];

    [Fact]
    public void A_room_is_probed_at_its_relays_in_this_relays_rendezvous_order_moving_on_from_one_that_failed()
    {
        var time = new FakeTimeProvider();
        var targets = new ProbeTargets(() => "10.9.9.9:7000", time);
        var order = NodeChoice.Order("10.9.9.9:7000", Relays, r => r.Relay.ToString()!).Select(r => r.Probe).ToArray();

        Assert.Equal(order[0], targets.Choose(C, Relays));
        Assert.True(targets.Failed(C, Relays.Length));
        Assert.Equal(order[1], targets.Choose(C, Relays));
        Assert.True(targets.Failed(C, Relays.Length));
        Assert.Equal(order[2], targets.Choose(C, Relays));
        Assert.True(targets.Failed(C, Relays.Length));
        Assert.Equal(order[0], targets.Choose(C, Relays)); // every one failed lately: from the first again

        time.Advance(ProbeTargets.FailedFor);
        Assert.Equal(order[0], targets.Choose(C, Relays));
    }

    [Fact]
    public void A_room_of_one_relay_is_probed_there_whatever_happens()
    {
        var targets = new ProbeTargets(() => "10.9.9.9:7000", new FakeTimeProvider());
        Assert.Equal(Relays[1].Probe, targets.Choose(C, [Relays[1]]));
        Assert.False(targets.Failed(C, 1));
        Assert.Null(targets.Choose(C, []));
    }

    [Fact]
    public void Relays_of_a_room_spread_their_probes_over_a_peer_rooms_relays()
    {
        var chosen = Enumerable.Range(0, 300).Select(i => new ProbeTargets(() => $"10.1.{i / 250}.{i % 250}:7000", new FakeTimeProvider()).Choose(C, Relays)!.ToString()!).CountBy(p => p).ToDictionary();
        Assert.Equal(3, chosen.Count);
        Assert.All(chosen.Values, n => Assert.InRange(n, 70, 130));
    }
}
