using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Tables;

/// <summary>Route table encoding, diffs and hostile payloads.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 150)]
public sealed class RouteTablePropertyTests
{
    private static readonly RouteComputer Computer = new(new CostModel(new CostModelOptions()), new HysteresisOptions());

    [Property]
    public bool Encoding_round_trips(RandomWorld world)
    {
        var table = Computer.Compute(world.Build());
        var decoded = RouteTableCodec.Decode(RouteTableCodec.Encode(table));
        return decoded.Version == table.Version && decoded.SameRoutesAs(table);
    }

    [Property]
    public bool Routes_whose_primary_takes_a_hop_are_those_of_every_route(RandomWorld world, int seed)
    {
        var table = Computer.Compute(world.Build());
        var random = new Random(seed);
        var n = table.Rooms.Length;
        var picked = Enumerable.Range(0, n * n).Select(_ => random.Next(4) == 0).ToArray(); // a quarter of all hops
        bool Picked(RoomId from, RoomId to) => picked[(table.Rooms.IndexOf(from) * n) + table.Rooms.IndexOf(to)];
        var expected = table.Routes().Where(r => Enumerable.Range(0, r.Primary.Length - 1).Any(i => Picked(r.Primary[i], r.Primary[i + 1]))).Select(r => (r.From, r.To)).ToList();
        var found = table.RoutesWhosePrimaryTakes((from, to) => picked[(from * n) + to]).Select(r => (r.From, r.To)).ToList();
        Assert.Equal(expected, found);
        return true;
    }

    [Property]
    public bool Diff_applied_to_the_old_table_gives_the_new_one(RandomWorld world, WorldChange change)
    {
        var older = Computer.Compute(world.Build());
        var newer = Computer.Compute(world.Build(change.Apply), older);
        var diff = RouteTableDiff.Between(older, newer);
        var applied = diff.ApplyTo(older);
        var viaWire = RouteTableCodec.DecodeDiff(RouteTableCodec.EncodeDiff(diff), older).ApplyTo(older);
        TableAssert.SameRoutes(newer, applied);
        TableAssert.SameRoutes(newer, viaWire);
        return applied.Version == newer.Version && viaWire.Version == newer.Version;
    }

    [Property]
    public bool Diff_handles_rooms_that_come_and_go(RandomWorld world, int dropSeed)
    {
        var full = world.Build();
        var dropped = full.Rooms[Math.Abs(dropSeed % full.RoomCount)];
        var rooms = full.Rooms.Where(r => r != dropped).Append(new RoomId("newcomer")).ToList();
        var links = full.Links.Where(l => l.From != dropped && l.To != dropped)
            .Append(new Link(rooms[0], "newcomer", LinkQuality.FromRtt(3)))
            .Append(new Link("newcomer", rooms[0], LinkQuality.FromRtt(3)));
        var older = Computer.Compute(full);
        var newer = Computer.Compute(TopologySnapshot.Create(rooms, links), older);
        TableAssert.SameRoutes(newer, RouteTableDiff.Between(older, newer).ApplyTo(older));
        return true;
    }

    [Fact]
    public void Same_paths_ignores_costs_but_not_a_moved_route()
    {
        static RouteTable Table(double bc)
        {
            RoomId a = "a", b = "b", c = "c";
            Link[] links = [new(a, b, LinkQuality.FromRtt(10)), new(b, a, LinkQuality.FromRtt(10)), new(b, c, LinkQuality.FromRtt(bc)), new(c, b, LinkQuality.FromRtt(bc)), new(a, c, LinkQuality.FromRtt(100)), new(c, a, LinkQuality.FromRtt(100))];
            return Computer.Compute(TopologySnapshot.Create([a, b, c], links));
        }

        var slower = Table(12);
        Assert.True(Table(10).SamePathsAs(slower));
        Assert.False(Table(10).SameRoutesAs(slower));
        Assert.False(Table(10).SamePathsAs(Table(200))); // a→c now goes direct
    }

    [Property(MaxTest = 500)]
    public bool Random_bytes_decode_or_fail_with_the_typed_error(byte[] bytes)
    {
        AssertDecodesOrFormatError(bytes);
        return true;
    }

    [Property(MaxTest = 300)]
    public bool Truncated_or_corrupted_tables_fail_with_the_typed_error(RandomWorld world, int cut, int flip)
    {
        var encoded = RouteTableCodec.Encode(Computer.Compute(world.Build()));
        AssertDecodesOrFormatError(encoded.AsSpan(0, Math.Abs(cut % encoded.Length)).ToArray());
        var corrupted = (byte[])encoded.Clone();
        corrupted[Math.Abs(flip % corrupted.Length)] ^= (byte)(1 + (Math.Abs(flip) % 255));
        AssertDecodesOrFormatError(corrupted);
        return true;
    }

    [Fact]
    public void Applying_a_diff_to_another_version_is_refused()
    {
        var world = new RandomWorld(6, 3, 0.8, 0).Build();
        var v1 = Computer.Compute(world);
        var v2 = Computer.Compute(world, v1);
        var v3 = Computer.Compute(world, v2);
        var diff = RouteTableDiff.Between(v2, v3);
        var error = Assert.Throws<RouteTableVersionException>(() => diff.ApplyTo(v1));
        Assert.Equal(2, error.Expected);
        Assert.Equal(1, error.Actual);
    }

    [Fact]
    public void Decoding_rejects_a_path_through_an_unknown_room_index()
    {
        var table = Computer.Compute(new RandomWorld(4, 11, 1.0, 0).Build());
        var message = MessagePack.MessagePackSerializer.Deserialize<Msdn.Graph.Tables.Wire.RouteTableMessage>(RouteTableCodec.Encode(table));
        message.Rows[0].Hops[0] = 1;
        message.Rows[0].Hops = [.. message.Rows[0].Hops.Take(1), 99, .. message.Rows[0].Hops.Skip(1)];
        var error = Assert.Throws<RouteTableFormatException>(() => RouteTableCodec.Decode(MessagePack.MessagePackSerializer.Serialize(message)));
        Assert.Contains("99", error.Message, StringComparison.Ordinal);
    }

    private static void AssertDecodesOrFormatError(byte[] bytes)
    {
        try
        {
            RouteTableCodec.Decode(bytes);
        }
        catch (RouteTableFormatException)
        {
        }

        try
        {
            RouteTableCodec.DecodeDiff(bytes);
        }
        catch (RouteTableFormatException)
        {
        }
    }
}
