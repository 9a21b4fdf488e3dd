using FsCheck;
using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Tables;

/// <summary>What a relay is sent of a table: its own row and the routes into the rooms its flows go to, kept exact by restricted diffs.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 100)]
public sealed class RestrictedTableTests
{
    private static readonly RouteComputer Computer = new(new CostModel(new CostModelOptions()), new HysteresisOptions());

    [Property]
    public bool A_restricted_table_holds_the_own_row_and_the_routes_into_the_destinations_only(RandomWorld world, int seed)
    {
        var table = Computer.Compute(world.Build());
        var (self, destinations) = Interest(table, seed);
        var restricted = table.Restricted(self, destinations);
        foreach (var from in table.Rooms)
        {
            foreach (var to in table.Rooms.Where(to => to != from))
            {
                var expected = from == self || destinations.Contains(to) ? table.Find(from, to) : null;
                Assert.Equal(Describe(expected), Describe(restricted.Find(from, to)));
            }
        }

        return restricted.Version == table.Version;
    }

    [Property]
    public bool Restricted_diffs_keep_a_restricted_table_exact_over_the_wire(RandomWorld world, WorldChange change, int seed)
    {
        var older = Computer.Compute(world.Build());
        var newer = Computer.Compute(world.Build(change.Apply), older);
        var (self, destinations) = Interest(older, seed);
        var held = RouteTableCodec.Decode(RouteTableCodec.Encode(older.Restricted(self, destinations)));
        var whole = RouteTableDiff.Between(older, newer);
        var diff = whole.Restricted(self, destinations);
        var applied = RouteTableCodec.DecodeDiff(RouteTableCodec.EncodeDiff(diff), held).ApplyTo(held);
        TableAssert.SameRoutes(newer.Restricted(self, destinations), applied);

        // The indexed restriction picks exactly what a scan of every change would, in the same order.
        var scanned = whole.Changes.Where(c => c.From == self || destinations.Contains(c.To));
        return applied.Version == newer.Version && diff.Changes.SequenceEqual(scanned);
    }

    [Fact]
    public void A_diff_over_the_same_rooms_leaves_out_the_room_list_and_needs_the_table_it_amends()
    {
        RoomId a = "a", b = "b", c = "c";
        static Link[] Links(double bc) => [new("a", "b", LinkQuality.FromRtt(10)), new("b", "a", LinkQuality.FromRtt(10)), new("b", "c", LinkQuality.FromRtt(bc)), new("c", "b", LinkQuality.FromRtt(bc)), new("a", "c", LinkQuality.FromRtt(30)), new("c", "a", LinkQuality.FromRtt(30))];
        var older = Computer.Compute(TopologySnapshot.Create([a, b, c], Links(10)));
        var newer = Computer.Compute(TopologySnapshot.Create([a, b, c], Links(40)), older);
        var diff = RouteTableDiff.Between(older, newer);
        Assert.False(diff.RoomsChanged);
        Assert.NotEmpty(diff.Changes);
        var encoded = RouteTableCodec.EncodeDiff(diff);
        Assert.Throws<RouteTableFormatException>(() => RouteTableCodec.DecodeDiff(encoded));
        TableAssert.SameRoutes(newer, RouteTableCodec.DecodeDiff(encoded, older).ApplyTo(older));
        Assert.Throws<RouteTableVersionException>(() => RouteTableCodec.DecodeDiff(encoded, newer).ApplyTo(newer));
    }

    private static string Describe(Route? route) =>
        route is null ? "none" : $"{Route.Format(route.Primary)} {route.Cost} {(route.Backup is { } b ? Route.Format(b) : "-")} {route.BackupCost}";

    /// <summary>A room and some destinations of its flows (none, some, or rooms the table does not know).</summary>
    private static (RoomId Self, HashSet<RoomId> Destinations) Interest(RouteTable table, int seed)
    {
        var random = new Random(seed);
        var self = table.Rooms[random.Next(table.Rooms.Length)];
        var destinations = table.Rooms.Where(r => r != self && random.Next(3) == 0).ToHashSet();
        if (random.Next(4) == 0)
        {
            destinations.Add(new RoomId("gone-away"));
        }

        return (self, destinations);
    }
}
