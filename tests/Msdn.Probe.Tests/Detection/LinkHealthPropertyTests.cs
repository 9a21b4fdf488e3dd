using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Probe.Detection;

namespace Msdn.Probe.Tests.Detection;

public sealed class LinkHealthPropertyTests
{
    /// <summary>Against a model: down iff the last K outcomes were losses (after having been up), up after M answers in a row.</summary>
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
            int losses = 0, answers = 0;
            foreach (var answered in outcomes)
            {
                bool changed;
                if (answered)
                {
                    answers++;
                    losses = 0;
                    changed = health.OnAnswered();
                    var expectUp = state == LinkState.Down && answers >= m;
                    Assert.Equal(expectUp, changed);
                    state = expectUp ? LinkState.Up : state;
                }
                else
                {
                    losses++;
                    answers = 0;
                    changed = health.OnLost();
                    var expectDown = state == LinkState.Up && losses >= k;
                    Assert.Equal(expectDown, changed);
                    state = expectDown ? LinkState.Down : state;
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
}
