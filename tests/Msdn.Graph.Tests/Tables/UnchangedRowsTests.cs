using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Tables;

/// <summary>A published version keeps the rows whose paths held (with their old costs), so its diff carries only what moved.</summary>
public sealed class UnchangedRowsTests
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
    public void Only_rows_whose_paths_changed_are_in_the_diff()
    {
        var computer = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions());
        var first = computer.Compute(World(0, 20));
        var next = computer.Compute(World(0.5, 200), first); // every cost drifts; a>b becomes a detour
        Assert.False(next.SamePathsAs(first));
        var published = next.KeepingUnchangedRowsOf(first);
        Assert.True(published.SamePathsAs(next));
        Assert.Equal(next.Version, published.Version);

        var changes = RouteTableDiff.Between(first, published).Changes;
        Assert.NotEmpty(changes);
        bool PathsMoved(RoomId from) => Rooms.Where(to => to != from).Any(to =>
            !first.Find(from, to)!.Primary.SequenceEqual(next.Find(from, to)!.Primary)
            || !(first.Find(from, to)!.Backup ?? []).SequenceEqual(next.Find(from, to)!.Backup ?? []));
        var held = Rooms.Where(room => !PathsMoved(room)).ToList();
        Assert.Contains(Rooms[0], Rooms.Where(PathsMoved));
        Assert.NotEmpty(held);
        Assert.All(changes, change => Assert.True(PathsMoved(change.From), $"{change.From}'s paths held, yet its row is in the diff"));
        foreach (var room in held)
        {
            var to = Rooms.First(r => r != room);
            Assert.Equal(first.Find(room, to)!.Cost, published.Find(room, to)!.Cost); // a row that held keeps its old cost
            Assert.NotEqual(first.Find(room, to)!.Cost, next.Find(room, to)!.Cost);
            Assert.Contains(RouteTableDiff.Between(first, next).Changes, change => change.From == room); // without it, every drifted cost is a change
        }
    }
}
