using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Tables;

/// <summary>A published version keeps the routes whose paths held (with their old costs), so its diff carries only what moved.</summary>
public sealed class UnchangedRoutesTests
{
    private static readonly RoomId[] Rooms = [new("a"), new("b"), new("c"), new("d")];

    private static TopologySnapshot World(double drift, double abRtt)
    {
        var links = new List<Link>();
        foreach (var from in Rooms)
        {
            foreach (var to in Rooms.Where(r => r != from))
            {
                var rtt = (from.Value, to.Value) is ("a", "b") ? abRtt : 20 + drift + (from.Value[0] - 'a') + (to.Value[0] - 'a');
                links.Add(new Link(from, to, LinkQuality.FromRtt(rtt)));
            }
        }

        return TopologySnapshot.Create(Rooms, links);
    }

    [Fact]
    public void Only_pairs_whose_paths_changed_are_in_the_diff()
    {
        var computer = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions());
        var first = computer.Compute(World(0, 20));
        var next = computer.Compute(World(0.5, 200), first); // every cost drifts; a>b becomes a detour
        Assert.False(next.SamePathsAs(first));
        var published = next.KeepingUnchangedRoutesOf(first);
        Assert.True(published.SamePathsAs(next));
        Assert.False(published.SharesEveryRowWith(first)); // some row moved: it is the new one
        Assert.Equal(next.Version, published.Version);

        var changes = RouteTableDiff.Between(first, published).Changes;
        Assert.NotEmpty(changes);
        bool Moved(RoomId from, RoomId to) =>
            !first.Find(from, to)!.Primary.SequenceEqual(next.Find(from, to)!.Primary)
            || !(first.Find(from, to)!.Backup ?? []).SequenceEqual(next.Find(from, to)!.Backup ?? []);
        var pairs = Rooms.SelectMany(from => Rooms.Where(to => to != from).Select(to => (From: from, To: to))).ToList();
        Assert.Contains(pairs, p => Moved(p.From, p.To));
        Assert.Equal(pairs.Where(p => Moved(p.From, p.To)).ToHashSet(), changes.Select(c => (c.From, c.To)).ToHashSet());
        foreach (var (from, to) in pairs.Where(p => !Moved(p.From, p.To)))
        {
            Assert.Equal(first.Find(from, to)!.Cost, published.Find(from, to)!.Cost); // a pair whose paths held keeps its old cost
        }

        Assert.True(RouteTableDiff.Between(first, next).Changes.Length > changes.Length); // without it, every drifted cost is a change
    }

    [Fact]
    public void When_no_path_moved_every_row_is_the_previous_tables_own()
    {
        var computer = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions());
        var first = computer.Compute(World(0, 20));
        var drifted = computer.Compute(World(0.5, 20), first); // every cost drifts, no path moves
        Assert.True(drifted.SamePathsAs(first));
        Assert.False(drifted.SharesEveryRowWith(first));
        var published = drifted.KeepingUnchangedRoutesOf(first, parallelism: 2);
        Assert.True(published.SharesEveryRowWith(first));
        Assert.True(published.SameRoutesAs(first)); // old costs included
        Assert.False(RouteTable.Empty.SharesEveryRowWith(first)); // other rooms
    }

    [Theory]
    [InlineData(60, 7)]
    [InlineData(45, 11)]
    public void Rows_kept_on_several_threads_equal_rows_kept_on_one(int rooms, int seed)
    {
        var world = new RandomWorld(rooms, seed, 0.7, 0.05);
        var computer = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions());
        var first = computer.Compute(world.Build());
        var next = computer.Compute(world.Build(new WorldChange(seed, 6, 0.2, 0.05).Apply), first);
        Assert.False(next.SamePathsAs(first));
        var alone = next.KeepingUnchangedRoutesOf(first);
        var shared = next.KeepingUnchangedRoutesOf(first, parallelism: 3);
        Assert.True(alone.SameRoutesAs(shared));
        Assert.True(shared.SamePathsAs(next));
        for (var s = 0; s < rooms; s++)
        {
            Assert.Equal(ReferenceEquals(alone.Rows[s], first.Rows[s]), ReferenceEquals(shared.Rows[s], first.Rows[s])); // rows that all held are shared, not copied
        }
    }
}
