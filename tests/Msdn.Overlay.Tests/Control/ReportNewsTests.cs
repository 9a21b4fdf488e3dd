using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Msdn.Overlay.Control;

namespace Msdn.Overlay.Tests.Control;

/// <summary>What a relay's reports carry: every link at first and on request, then only what the controller would act on.</summary>
public sealed class ReportNewsTests
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    private static LinkReading Link(double rtt, double jitter = 1, double loss = 0, bool up = true, double? forward = null) => new(rtt, jitter, loss, forward, up);

    [Fact]
    public void Carries_every_link_first_then_only_what_moved_past_the_thresholds()
    {
        var news = new ReportNews<string>(Refresh, new FakeTimeProvider(), new Random(1), 100);
        var first = news.Next([("b", Link(100)), ("c", Link(10)), ("d", Link(50)), ("e", Link(20)), ("f", Link(30))]);
        Assert.True(first.Full);
        Assert.Equal(5, first.Links.Count);
        news.Taken(first);

        var quiet = news.Next([("b", Link(100.9)), ("c", Link(10.5)), ("d", Link(50, jitter: 1.5)), ("e", Link(20, loss: 0.012)), ("f", Link(30))]);
        Assert.Equal(first.Sequence, quiet.Since);
        Assert.Empty(quiet.Links); // a heartbeat: nothing the controller would recompute on
        news.Taken(quiet);

        var moved = news.Next([("b", Link(103)), ("c", Link(10.5)), ("d", Link(50, jitter: 2)), ("e", Link(20, loss: 0.02)), ("f", Link(30, up: false))]);
        Assert.Equal(["b", "d", "e", "f"], moved.Links.Select(l => l.Peer).Order());
        Assert.Equal(quiet.Sequence, moved.Since);
    }

    [Fact]
    public void Directed_loss_and_peers_no_longer_measured_are_news()
    {
        var news = new ReportNews<string>(Refresh, new FakeTimeProvider(), new Random(1), 1);
        var first = news.Next([("b", Link(10)), ("c", Link(10))]);
        news.Taken(first);
        var next = news.Next([("b", Link(10, forward: 0))]);
        Assert.Equal(["b"], next.Links.Select(l => l.Peer));
        Assert.Equal(["c"], next.Gone);
        news.Taken(next);
        var gray = news.Next([("b", Link(10, forward: 0.3))]);
        Assert.Equal(["b"], gray.Links.Select(l => l.Peer));
        Assert.Empty(gray.Gone);
    }

    [Fact]
    public void What_the_controller_did_not_take_is_sent_again_and_a_refusal_or_the_refresh_brings_everything()
    {
        var time = new FakeTimeProvider();
        var news = new ReportNews<string>(Refresh, time, new Random(1), 1);
        var first = news.Next([("b", Link(10)), ("c", Link(10))]);
        news.Taken(first);
        var lost = news.Next([("b", Link(20)), ("c", Link(10))]);
        var again = news.Next([("b", Link(20)), ("c", Link(10))]);
        Assert.Equal(lost.Since, again.Since);
        Assert.Equal(["b"], again.Links.Select(l => l.Peer));

        news.FullWanted();
        var whole = news.Next([("b", Link(20)), ("c", Link(10))]);
        Assert.True(whole.Full);
        news.Taken(whole);
        Assert.False(news.Next([("b", Link(20)), ("c", Link(10))]).Full);

        time.Advance(Refresh * 1.26); // past the latest staggered refresh
        Assert.True(news.Next([("b", Link(20)), ("c", Link(10))]).Full);
    }

    public static Arbitrary<int[]> Steps() => (from length in Gen.Choose(1, 80) from steps in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), length) select steps).ToArbitrary();

    /// <summary>
    /// Links drift at random; reports are taken, lost, lost after the controller took them (the answer lost), or
    /// throttled; the controller refuses an amendment of a report it does not hold, as it does. Whenever it takes a
    /// report, its view holds every link the relay measures, none further from the relay's estimate than news.
    /// </summary>
    [Property(Arbitrary = [typeof(ReportNewsTests)], MaxTest = 300)]
    public void The_controller_s_view_is_never_news_away_from_the_relay_s_estimate(int[] steps)
    {
        var time = new FakeTimeProvider();
        var news = new ReportNews<int>(Refresh, time, new Random(7), 1);
        var estimate = Enumerable.Range(0, 6).ToDictionary(p => p, p => Link(10 + (p * 20)));
        var view = new Dictionary<int, LinkReading>();
        long? held = null;
        foreach (var step in steps)
        {
            var random = new Random(step);
            foreach (var peer in estimate.Keys.ToList())
            {
                var e = estimate[peer];
                estimate[peer] = random.Next(5) == 0 ? Link(e.RttMs, e.JitterMs, e.Loss, !e.Up, e.ForwardLoss)
                    : Link(Math.Max(0, e.RttMs + ((random.NextDouble() - 0.5) * 4)), Math.Max(0, e.JitterMs + ((random.NextDouble() - 0.5) * 1.5)), Math.Clamp(e.Loss + ((random.NextDouble() - 0.5) * 0.02), 0, 1), e.Up, random.Next(3) == 0 ? random.NextDouble() * 0.1 : e.ForwardLoss);
            }

            if (random.Next(6) == 0)
            {
                estimate.Remove(random.Next(6));
            }
            else if (random.Next(6) == 0)
            {
                estimate[random.Next(6)] = Link(random.Next(1, 200));
            }

            time.Advance(TimeSpan.FromSeconds(random.Next(1, 40)));
            var plan = news.Next([.. estimate.Select(e => (e.Key, e.Value))]);
            var outcome = random.Next(5); // 0 lost on the way, 1 throttled, 2 answer lost, else taken
            if (outcome is 0 or 1)
            {
                continue;
            }

            if (plan.Since is { } since && since != held)
            {
                news.FullWanted(); // 412: the controller holds another report
                continue;
            }

            if (plan.Full)
            {
                view.Clear();
            }

            foreach (var (peer, reading) in plan.Links)
            {
                view[peer] = reading;
            }

            foreach (var peer in plan.Gone)
            {
                view.Remove(peer);
            }

            held = plan.Sequence;
            if (outcome == 2)
            {
                continue; // the controller took it; the relay never heard
            }

            news.Taken(plan);
            Assert.Equal(estimate.Keys.Order(), view.Keys.Order());
            Assert.All(estimate, e => Assert.False(e.Value.IsNewsAfter(view[e.Key]), $"link {e.Key}: {e.Value} is news after the controller's {view[e.Key]}"));
        }
    }
}
