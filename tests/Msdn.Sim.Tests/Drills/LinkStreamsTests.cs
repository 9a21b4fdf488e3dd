using Msdn.Sim.Drills.Virtual;

namespace Msdn.Sim.Tests.Drills;

/// <summary>Per-link random streams: what lets the sweep run links on several threads and stay repeatable.</summary>
public sealed class LinkStreamsTests
{
    [Fact]
    public void A_links_draws_do_not_depend_on_what_other_links_drew_in_between()
    {
        var alone = new LinkStreams(100, seed: 3).NewCursor();
        alone.Link = 5;
        var expected = Enumerable.Range(0, 6).Select(_ => alone.NextDouble()).ToArray();

        var streams = new LinkStreams(100, seed: 3);
        var mine = streams.NewCursor();
        var other = streams.NewCursor();
        var drawn = new List<double>();
        mine.Link = 5;
        other.Link = 9;
        drawn.Add(mine.NextDouble());
        other.NextDouble();
        drawn.Add(mine.NextDouble());
        other.Link = 6;
        other.NextDouble();
        other.Next(10);
        drawn.AddRange(Enumerable.Range(0, 4).Select(_ => mine.NextDouble()));
        Assert.Equal(expected, drawn);
    }

    [Fact]
    public void Draws_are_uniform_in_the_unit_interval_and_differ_by_seed_and_link()
    {
        var cursor = new LinkStreams(1000, seed: 7).NewCursor();
        cursor.Link = 0;
        var draws = Enumerable.Range(0, 20_000).Select(_ => cursor.NextDouble()).ToArray();
        Assert.All(draws, d => Assert.InRange(d, 0, 0.9999999999999999));
        Assert.InRange(draws.Average(), 0.49, 0.51);
        Assert.InRange(draws.Count(d => d < 0.1), 1800, 2200);

        var firsts = Enumerable.Range(0, 1000).Select(l => { cursor.Link = l; return cursor.NextDouble(); }).ToArray();
        Assert.Equal(1000, firsts.Distinct().Count());
        Assert.InRange(firsts.Average(), 0.45, 0.55); // neighbouring links do not start alike

        var otherSeed = new LinkStreams(1000, seed: 8).NewCursor();
        otherSeed.Link = 0;
        Assert.NotEqual(draws[0], otherSeed.NextDouble());
        var sameSeed = new LinkStreams(1000, seed: 7).NewCursor();
        sameSeed.Link = 0;
        Assert.Equal(draws[0], sameSeed.NextDouble());
    }

    [Fact]
    public void Integer_draws_come_from_the_links_stream_and_stay_in_range()
    {
        var cursor = new LinkStreams(2, seed: 1).NewCursor();
        cursor.Link = 1;
        var bounded = Enumerable.Range(0, 5000).Select(_ => cursor.Next(10)).ToArray();
        Assert.All(bounded, v => Assert.InRange(v, 0, 9));
        Assert.Equal(10, bounded.Distinct().Count());
        Assert.All(Enumerable.Range(0, 1000).Select(_ => cursor.Next()), v => Assert.InRange(v, 0, int.MaxValue - 1));

        var again = new LinkStreams(2, seed: 1).NewCursor();
        again.Link = 1;
        Assert.Equal(bounded, Enumerable.Range(0, 5000).Select(_ => again.Next(10)).ToArray());
    }
}
