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

    [Property(MaxTest = 300)]
    public Property Equal_weights_give_the_unweighted_order() =>
        Prop.ForAll(Nodes.ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), Gen.Elements(0.05, 0.2, 1.0, 7.0).ToArbitrary(), (nodes, key, weight) =>
            NodeChoice.Order($"room-a/{key}", nodes, n => n, _ => weight).SequenceEqual(NodeChoice.Order($"room-a/{key}", nodes, n => n)));

    [Property(MaxTest = 200)]
    public Property A_node_whose_weight_changes_moves_only_keys_to_or_from_itself() =>
        Prop.ForAll(Nodes.Where(n => n.Length >= 2).ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), Gen.Elements(0.05, 0.2, 0.5, 2.0).ToArbitrary(), (nodes, seed, factor) =>
        {
            var changed = nodes[seed % nodes.Length];
            var weights = nodes.ToDictionary(n => n, n => 1.0 + (NodeChoice.Score("weight", n) % 3));
            return Enumerable.Range(seed, 50).Select(i => $"endpoint-{i}").All(key =>
            {
                var before = NodeChoice.Order(key, nodes, n => n, n => weights[n])[0];
                var after = NodeChoice.Order(key, nodes, n => n, n => n == changed ? weights[n] * factor : weights[n])[0];
                return before == after || before == changed || after == changed;
            });
        });

    [Fact]
    public void Keys_spread_in_proportion_to_the_weights()
    {
        var nodes = new[] { ("127.0.0.1:40000", 1.0), ("127.0.0.1:40001", 0.5), ("127.0.0.1:40002", 0.2), ("127.0.0.1:40003", 0.05) };
        var total = nodes.Sum(n => n.Item2);
        var chosen = Enumerable.Range(0, 40_000).Select(i => NodeChoice.Order($"room-a/{i}", nodes, n => n.Item1, n => n.Item2)[0].Item1).CountBy(n => n).ToDictionary();
        Assert.All(nodes, n => Assert.InRange(chosen.GetValueOrDefault(n.Item1), 0.85 * 40_000 * n.Item2 / total, 1.15 * 40_000 * n.Item2 / total));
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeChoice.Order("k", nodes, n => n.Item1, _ => 0.0));
    }

    [Theory]
    [InlineData(0.0, 0, 0)]
    [InlineData(0.49, 0, 0)]
    [InlineData(0.5, 0, 1)]
    [InlineData(0.79, 1, 1)]
    [InlineData(0.8, 1, 2)]
    [InlineData(1.0, 0, 3)]
    [InlineData(1.7, 3, 3)]
    [InlineData(0.47, 1, 1)] // within the margin under 0.5: stays busy
    [InlineData(0.44, 1, 0)] // clearly under: back to idle
    [InlineData(0.96, 3, 3)]
    [InlineData(0.9, 3, 2)]
    [InlineData(0.3, 3, 0)]
    public void A_relay_load_falls_in_a_band_that_goes_down_only_past_a_margin(double utilization, int held, int band)
    {
        Assert.Equal(band, HeadroomBand.Of(utilization, held));
        Assert.True(HeadroomBand.Weight(band) > 0);
        Assert.True(HeadroomBand.Weight(band) <= HeadroomBand.Weight(band - 1));
    }

    [Fact]
    public void The_score_is_fixed_not_the_runtimes_randomized_string_hash()
    {
        // Relays on different hosts must agree: the value is FNV-1a 64 over "key|node" then splitmix64's finalizer, worked out independently.
        Assert.Equal(0x13535ADDAA3C9BD4UL, NodeChoice.Score("endpoint-7", "10.0.0.2:5000"));
        Assert.NotEqual(NodeChoice.Score("endpoint-7", "10.0.0.2:5000"), NodeChoice.Score("endpoint-7", "10.0.0.2:5001"));
    }
}
