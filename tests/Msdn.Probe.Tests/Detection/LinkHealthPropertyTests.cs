using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Probe.Detection;

namespace Msdn.Probe.Tests.Detection;

public sealed class LinkHealthPropertyTests
{
    /// <summary>
    /// Against a model: down iff the last K outcomes were losses (after having been up); up after M answers in a row,
    /// doubled for each recent flap (a down within 30 answers of the last up, at most three), forgiven after 30
    /// answers in a row while up.
    /// </summary>
    [Property(MaxTest = 500)]
    public Property Follows_the_consecutive_outcome_model()
    {
        var gen = from k in Gen.Choose(1, 6)
                  from m in Gen.Choose(1, 6)
                  from outcomes in Gen.ListOf(ArbMap.Default.GeneratorFor<bool>())
                  select (k, m, outcomes);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (k, m, outcomes) = input;
            var health = new LinkHealth(k, m);
            var state = LinkState.Down;
            int losses = 0, answers = 0, flaps = 0, sinceUp = 0;
            foreach (var answered in outcomes)
            {
                bool changed;
                if (answered)
                {
                    answers++;
                    losses = 0;
                    changed = health.OnAnswered();
                    if (state == LinkState.Up && ++sinceUp >= LinkHealth.StableAnswers)
                    {
                        flaps = 0;
                    }

                    var expectUp = state == LinkState.Down && answers >= m * (1 << flaps);
                    Assert.Equal(expectUp, changed);
                    if (expectUp)
                    {
                        (state, sinceUp) = (LinkState.Up, 0);
                    }
                }
                else
                {
                    losses++;
                    answers = 0;
                    changed = health.OnLost();
                    var expectDown = state == LinkState.Up && losses >= k;
                    Assert.Equal(expectDown, changed);
                    if (expectDown)
                    {
                        state = LinkState.Down;
                        flaps = sinceUp < LinkHealth.StableAnswers ? Math.Min(flaps + 1, 3) : flaps;
                    }
                }

                Assert.Equal(state, health.State);
            }

            return true;
        });
    }

    [Property(MaxTest = 300)]
    public Property Isolated_losses_never_take_a_link_down()
    {
        // Losses come in runs shorter than K, always separated by an answer.
        var gen = from k in Gen.Choose(2, 6)
                  from runs in Gen.ListOf(Gen.Choose(0, 100))
                  select (k, runs);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (k, runs) = input;
            var health = new LinkHealth(k, 1);
            health.OnAnswered();
            foreach (var run in runs)
            {
                for (var i = 0; i < run % k; i++)
                {
                    Assert.False(health.OnLost());
                }

                health.OnAnswered();
            }

            return health.State == LinkState.Up;
        });
    }

    [Property(MaxTest = 300)]
    public bool A_cut_is_declared_at_exactly_the_kth_loss(PositiveInt k)
    {
        var threshold = 1 + (k.Get % 10);
        var health = new LinkHealth(threshold, 1);
        health.OnAnswered();
        for (var i = 1; i < threshold; i++)
        {
            Assert.False(health.OnLost());
        }

        return health.OnLost() && health.State == LinkState.Down;
    }

    [Fact]
    public void A_flapping_link_needs_ever_more_answers_to_come_back_then_a_stable_stretch_forgives_it()
    {
        var health = new LinkHealth(2, 3);
        var needed = new List<int>();
        for (var flap = 0; flap < 5; flap++)
        {
            var answers = 0;
            while (!health.OnAnswered())
            {
                answers++;
            }

            needed.Add(answers + 1);
            health.OnLost();
            health.OnLost(); // down again at once: a flap
        }

        Assert.Equal([3, 6, 12, 24, 24], needed);
        for (var i = 0; i < 24; i++)
        {
            health.OnAnswered();
        }

        for (var i = 0; i < LinkHealth.StableAnswers; i++)
        {
            health.OnAnswered(); // up, and stable
        }

        health.OnLost();
        health.OnLost();
        var again = 1;
        while (!health.OnAnswered())
        {
            again++;
        }

        Assert.Equal(3, again);
    }
}
