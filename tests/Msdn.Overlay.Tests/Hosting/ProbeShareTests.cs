using System.Net;
using Msdn.Graph.Topology;
using Msdn.Overlay.Hosting;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Hosting;

/// <summary>A room's relays share the measurement of its links: each peer room once, by one of them.</summary>
public sealed class ProbeShareTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(500, 1)]
    [InlineData(500, 2)]
    [InlineData(500, 3)]
    public void Each_peer_room_is_measured_by_exactly_one_relay_of_the_room_and_the_relays_share_them_evenly(int rooms, int relays)
    {
        var own = Enumerable.Range(0, relays).Select(i => (EndPoint)IPEndPoint.Parse($"10.0.0.{i + 1}:7000")).ToArray();
        var peers = Enumerable.Range(1, rooms - 1).Select(i => new RoomId($"room-{i}")).ToArray();
        var shares = own.Select(self => new ProbeShare(self.ToString()!, relays == 1 ? [] : own, _ => false)).ToArray();

        Assert.All(peers, peer => Assert.Equal(1, shares.Count(s => s.Measures(peer))));
        var counts = shares.Select(s => peers.Count(s.Measures)).ToArray();
        output.WriteLine($"{rooms} rooms x {relays} relays: peers probed at the base interval per relay {string.Join(", ", counts)} (alone in its room: {rooms - 1})");
        Assert.All(counts, c => Assert.InRange(c, 0.85 * (rooms - 1) / relays, 1.15 * (rooms - 1) / relays));
    }

    [Fact]
    public void A_peer_carrying_this_relays_flows_is_measured_by_it_too()
    {
        EndPoint[] relays = [IPEndPoint.Parse("10.0.0.1:7000"), IPEndPoint.Parse("10.0.0.2:7000")];
        var peers = Enumerable.Range(1, 40).Select(i => new RoomId($"room-{i}")).ToArray();
        var notMine = peers.First(p => !new ProbeShare("10.0.0.1:7000", relays, _ => false).Measures(p));
        Assert.True(new ProbeShare("10.0.0.1:7000", relays, p => p == notMine).Measures(notMine));
    }

    [Fact]
    public void A_relay_the_directory_does_not_list_as_it_names_itself_measures_every_peer()
    {
        EndPoint[] relays = [IPEndPoint.Parse("10.0.0.1:7000"), IPEndPoint.Parse("10.0.0.2:7000")];
        var share = new ProbeShare("relay-1.example:7000", relays, _ => false); // advertised by name, listed by address
        Assert.All(Enumerable.Range(1, 40), i => Assert.True(share.Measures(new RoomId($"room-{i}"))));
    }
}
