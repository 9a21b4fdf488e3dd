using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Probe.Estimation;

namespace Msdn.Probe.Tests.Estimation;

/// <summary>
/// For Bernoulli loss p, the window's estimate is a binomial proportion over W outcomes: it stays within
/// 5 standard deviations (√(p(1−p)/W), plus one outcome's worth) of p. With W = 2,000 that is ±0.056 at
/// p = 0.5 and ±0.02 at p = 0.05; a false failure has odds of about one in three million per check.
/// </summary>
public sealed class LossConvergencePropertyTests
{
    [Property(MaxTest = 200)]
    public Property Estimate_converges_to_the_true_loss(int seed)
    {
        return Prop.ForAll(Gen.Choose(0, 100).Select(percent => percent / 100.0).ToArbitrary(), p =>
        {
            const int Window = 2000;
            var random = new Random(seed);
            var loss = new LossWindow(Window);
            for (var i = 0; i < Window * 3; i++)
            {
                loss.Add(random.NextDouble() < p);
            }

            var bound = (5 * Math.Sqrt(p * (1 - p) / Window)) + (1.0 / Window);
            return Math.Abs(loss.Loss - p) <= bound;
        });
    }
}
