using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;

namespace Msdn.Overlay.Tests.Failover;

/// <summary>
/// A relay is sent only its own row and the routes into the rooms its flows go to (<see cref="RouteTable.Restricted"/>):
/// for those flows it decides exactly as it would on the whole table, whatever failed and whatever is down.
/// </summary>
public sealed class RestrictedTableDecisionTests
{
    private static readonly RouteComputer Computer = new(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions());

    public static Arbitrary<int> Seeds() => Gen.Choose(0, int.MaxValue).ToArbitrary();

    [Property(Arbitrary = [typeof(RestrictedTableDecisionTests)], MaxTest = 200)]
    public void Path_choices_and_moves_for_its_flows_are_the_same_on_what_it_is_sent(int seed)
    {
        var random = new Random(seed);
        var n = random.Next(4, 10);
        var rooms = Enumerable.Range(0, n).Select(i => new RoomId($"r{i}")).ToList();
        var links = new List<Link>();
        foreach (var a in rooms)
        {
            foreach (var b in rooms.Where(b => b != a && random.Next(3) > 0))
            {
                links.Add(new Link(a, b, LinkQuality.FromRtt(random.Next(1, 100))));
            }
        }

        var table = Computer.Compute(TopologySnapshot.Create(rooms, links));
        var self = rooms[random.Next(n)];
        var destinations = rooms.Where(r => r != self && random.Next(2) == 0).ToHashSet();
        var restricted = RouteTableCodec.Decode(RouteTableCodec.Encode(table.Restricted(self, destinations)));
        var down = links.Where(_ => random.Next(6) == 0).Select(l => (l.From, l.To)).ToHashSet();
        bool IsDown(RoomId from, RoomId to) => down.Contains((from, to));
        var live = links.Where(l => l.From == self && random.Next(4) > 0).Select(l => (l.To, l.Quality.RttMs)).ToList();
        foreach (var destination in destinations)
        {
            var route = table.Find(self, destination);
            var failed = new List<IReadOnlyList<RoomId>>();
            if (route is not null && random.Next(2) == 0)
            {
                failed.Add(route.Primary);
                if (route.Backup is { } backup && random.Next(2) == 0)
                {
                    failed.Add(backup);
                }
            }

            Assert.Equal(Choice(table), Choice(restricted));
            var current = (IReadOnlyList<RoomId>?)failed.FirstOrDefault() ?? [self, destination];
            Assert.Equal(PathChoice.BetterPrimary(table, self, destination, current, failed, IsDown), PathChoice.BetterPrimary(restricted, self, destination, current, failed, IsDown));

            string Choice(RouteTable t)
            {
                try
                {
                    return Route.Format(PathChoice.Choose(t, self, destination, failed, IsDown, () => live));
                }
                catch (Msdn.Overlay.Relay.NoRouteException)
                {
                    return "no route";
                }
            }
        }
    }
}
