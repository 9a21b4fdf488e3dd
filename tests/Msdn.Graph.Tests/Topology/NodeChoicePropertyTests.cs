using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Topology;

/// <summary>Rendezvous choice among a room's relays: every relay computes the same, keys stay put, a leaving relay moves only its own keys.</summary>
public sealed class NodeChoicePropertyTests
{
    private static Gen<string[]> Nodes =>
        Gen.Choose(1, 9).SelectMany(n => Gen.Choose(1, 60000).ArrayOf(n))
            .Select(ports => ports.Distinct().Select(p => $"10.0.{p % 7}.{p % 250}:{p}").Distinct().ToArray());

    [Property(MaxTest = 300)]
    public Property The_order_is_every_node_by_descending_score_whatever_order_they_are_listed_in() =>
        Prop.ForAll(Nodes.ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), (nodes, key) =>
        {
            var k = $"room-a/{key}";
            var order = NodeChoice.Order(k, nodes, n => n);
            var reversed = NodeChoice.Order(k, nodes.Reverse(), n => n);
            var oracle = nodes.OrderByDescending(n => NodeChoice.Score(k, n)).ToArray(); // brute force: scores of distinct names do not tie in practice
            return order.SequenceEqual(reversed) && order.SequenceEqual(oracle) && order.Order(StringComparer.Ordinal).SequenceEqual(nodes.Order(StringComparer.Ordinal));
        });

    [Property(MaxTest = 300)]
    public Property A_node_leaving_moves_only_the_keys_it_held_each_to_its_next_choice() =>
        Prop.ForAll(Nodes.Where(n => n.Length >= 2).ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), (nodes, seed) =>
        {
            var leaving = nodes[seed % nodes.Length];
            var left = nodes.Where(n => n != leaving).ToArray();
            return Enumerable.Range(seed, 50).Select(i => $"endpoint-{i}").All(key =>
            {
                var before = NodeChoice.Order(key, nodes, n => n);
                var after = NodeChoice.Order(key, left, n => n);
                return after.SequenceEqual(before.Where(n => n != leaving));
            });
        });

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Keys_spread_evenly_over_the_nodes(int count)
    {
        var nodes = Enumerable.Range(0, count).Select(i => $"127.0.0.1:{40000 + i}").ToArray();
        var chosen = Enumerable.Range(0, 20_000).Select(i => NodeChoice.Order($"room-a/{i}", nodes, n => n)[0]).CountBy(n => n).ToDictionary();
        var mean = 20_000.0 / count;
        Assert.Equal(count, chosen.Count);
        Assert.All(chosen.Values, held => Assert.InRange(held, 0.9 * mean, 1.1 * mean));
    }

    [Fact]
    public void The_score_is_fixed_not_the_runtimes_randomized_string_hash()
    {
        // Relays on different hosts must agree: the value is FNV-1a 64 over "key|node" then splitmix64's finalizer, worked out independently.
        Assert.Equal(0x13535ADDAA3C9BD4UL, NodeChoice.Score("endpoint-7", "10.0.0.2:5000"));
        Assert.NotEqual(NodeChoice.Score("endpoint-7", "10.0.0.2:5000"), NodeChoice.Score("endpoint-7", "10.0.0.2:5001"));
    }
}
