using Microsoft.Extensions.DependencyInjection;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Grains;
using Msdn.Router.Rooms;
using Orleans.Serialization;

namespace Msdn.Router.Tests.Grains;

public sealed class PublishedTableTests
{
    [Fact]
    public void Between_silos_only_the_encoding_travels_and_the_same_routes_arrive()
    {
        var table = Table();
        var published = PublishedTable.Of(table);
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

        var bytes = serializer.SerializeToArray(published);
        var arrived = serializer.Deserialize<PublishedTable>(bytes)!;

        Assert.InRange(bytes.Length, published.Encoded.Length, published.Encoded.Length + 64); // the encoding, not the objects
        Assert.Equal(published.Encoded, arrived.Encoded);
        Assert.True(arrived.Table.SameRoutesAs(table));
        Assert.Equal<RoomId>(["a", "b", "c"], arrived.Table.Find("a", "c")!.Primary);
    }

    [Fact]
    public void A_stored_table_comes_back_numbered_past_every_version_served()
    {
        var stored = PublishedTable.Of(Table());
        var asServed = PublishedTable.Restored(stored.Encoded, lastServed: stored.Table.Version);
        Assert.Equal(stored.Table.Version, asServed.Table.Version);
        Assert.Same(stored.Encoded, asServed.Encoded);

        // Two versions were published after it was stored, and lost with the silo: relays may hold them.
        var later = PublishedTable.Restored(stored.Encoded, lastServed: stored.Table.Version + 2);
        Assert.Equal(stored.Table.Version + 3, later.Table.Version);
        Assert.True(later.Table.SameRoutesAs(stored.Table));
        Assert.Equal(later.Table.Version, RouteTableCodec.Decode(later.Encoded).Version);
    }

    [Fact]
    public void Link_estimates_answer_links_reported_up_and_nothing_else()
    {
        var estimates = new LinkEstimates([
            new RoomRecord { Room = "a", Latest = new RoomReport { Links = [new LinkEstimate { Peer = "b", RttMs = 12, Loss = 0.2, ForwardLoss = 0.1 }, new LinkEstimate { Peer = "c", RttMs = 30, Up = false }] } },
            new RoomRecord { Room = "b" },
        ]);

        Assert.True(estimates.TryGet("a", "b", out var ab));
        Assert.Equal(new LinkMetric("a", "b", 12, 0.1), ab); // priced by its own direction's loss
        Assert.False(estimates.TryGet("a", "c", out _)); // down
        Assert.False(estimates.TryGet("b", "a", out _)); // b reported nothing
        Assert.False(estimates.TryGet("z", "a", out _)); // no such room
    }

    private static RouteTable Table() => new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create(
        [new RoomId("a"), new RoomId("b"), new RoomId("c")],
        [new Link("a", "b", new LinkQuality(10, 0, 0, true, DateTimeOffset.UnixEpoch)), new Link("b", "c", new LinkQuality(10, 0, 0, true, DateTimeOffset.UnixEpoch)), new Link("a", "c", new LinkQuality(50, 0, 0, true, DateTimeOffset.UnixEpoch))]));
}
