using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Topology;

public sealed class TopologyValidationTests
{
    private static readonly RoomId A = "a";
    private static readonly RoomId B = "b";

    [Fact]
    public void Link_to_an_unknown_room_names_it()
    {
        var error = Assert.Throws<UnknownRoomException>(() => TopologySnapshot.Create([A, B], [new Link(A, "ghost", LinkQuality.FromRtt(1))]));
        Assert.Equal(new RoomId("ghost"), error.Room);
        Assert.Contains("ghost", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Self_link_is_refused()
    {
        var error = Assert.Throws<InvalidLinkException>(() => TopologySnapshot.Create([A, B], [new Link(A, A, LinkQuality.FromRtt(1))]));
        Assert.Contains("a->a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_directed_link_is_refused()
    {
        Assert.Throws<InvalidLinkException>(() => TopologySnapshot.Create([A, B], [new Link(A, B, LinkQuality.FromRtt(1)), new Link(A, B, LinkQuality.FromRtt(2))]));
    }

    [Theory]
    [InlineData(-1, 0, 0, "RttMs")]
    [InlineData(double.NaN, 0, 0, "RttMs")]
    [InlineData(double.PositiveInfinity, 0, 0, "RttMs")]
    [InlineData(10, -0.5, 0, "JitterMs")]
    [InlineData(10, double.NaN, 0, "JitterMs")]
    [InlineData(10, 0, 1.5, "Loss")]
    [InlineData(10, 0, -0.1, "Loss")]
    [InlineData(10, 0, double.NaN, "Loss")]
    public void Out_of_domain_quality_names_the_field_and_value(double rtt, double jitter, double loss, string field)
    {
        var error = Assert.Throws<InvalidLinkQualityException>(() => new LinkQuality(rtt, jitter, loss, true, DateTimeOffset.UnixEpoch));
        Assert.Equal(field, error.Field);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/room")]
    public void Invalid_room_ids_are_refused(string value)
    {
        var error = Assert.Throws<InvalidRoomIdException>(() => new RoomId(value));
        Assert.Equal(value, error.Value);
    }

    [Fact]
    public void Rooms_are_indexed_in_ordinal_order()
    {
        var snapshot = TopologySnapshot.Create(["c", "a", "b", "a"], []);
        Assert.Equal(["a", "b", "c"], snapshot.Rooms.Select(r => r.Value).ToArray());
        Assert.Equal(2, snapshot.IndexOf("c"));
        Assert.Throws<UnknownRoomException>(() => snapshot.IndexOf("d"));
    }

    [Fact]
    public void Indexed_links_make_the_same_snapshot_as_link_objects()
    {
        var rooms = TopologySnapshot.IndexOrder(["c", "a", "b"]);
        var ab = new LinkQuality(10, 1, 0.01, true, DateTimeOffset.UnixEpoch);
        var ca = LinkQuality.FromRtt(30);
        var indexed = TopologySnapshot.Create(rooms, [(0, 1), (2, 0)], [ab, ca]);
        var objects = TopologySnapshot.Create(["a", "b", "c"], [new Link("a", "b", ab), new Link("c", "a", ca)]);

        Assert.Equal(objects.Rooms.AsEnumerable(), indexed.Rooms.AsEnumerable());
        Assert.Equal(objects.Links.AsEnumerable(), indexed.Links.AsEnumerable());
        Assert.Equal(2, indexed.LinkCount);
        Assert.Equal(2, indexed.IndexOf("c"));
    }

    [Fact]
    public void Indexed_links_are_checked_like_link_objects()
    {
        var rooms = TopologySnapshot.IndexOrder(["a", "b"]);
        var q = LinkQuality.FromRtt(1);
        Assert.Contains("a->a", Assert.Throws<InvalidLinkException>(() => TopologySnapshot.Create(rooms, [(0, 0)], [q])).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<InvalidLinkException>(() => TopologySnapshot.Create(rooms, [(0, 1), (0, 1)], [q, q])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => TopologySnapshot.Create(rooms, [(0, 2)], [q]));
        Assert.Throws<ArgumentException>(() => TopologySnapshot.Create(rooms, [(0, 1)], [q, q]));
        Assert.Throws<ArgumentException>(() => TopologySnapshot.Create(["b", "a"], [(0, 1)], [q])); // not in index order
    }
}
