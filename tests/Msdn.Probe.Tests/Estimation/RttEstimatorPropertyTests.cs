using FsCheck.Xunit;
using Msdn.Probe.Estimation;

namespace Msdn.Probe.Tests.Estimation;

/// <summary>The estimator's running minimum against its definition: the least of the last <c>window</c> samples.</summary>
public sealed class RttEstimatorPropertyTests
{
    [Property(MaxTest = 200)]
    public bool Minimum_is_the_least_of_the_last_samples(int seed, byte windowSeed)
    {
        var window = 1 + (windowSeed % 40);
        var random = new Random(seed);
        var estimator = new RttEstimator(window);
        var samples = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            // Repeats and plateaus too: the sample leaving is often equal to the minimum without being the only one.
            var rtt = random.Next(4) == 0 ? samples.LastOrDefault(5) : Math.Round(random.NextDouble() * 20, 1);
            samples.Add(rtt);
            estimator.Add(rtt);
            if (estimator.MinimumMs != samples.TakeLast(window).Min())
            {
                return false;
            }
        }

        return true;
    }
}
