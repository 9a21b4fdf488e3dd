using FsCheck.Xunit;
using Msdn.Probe.Estimation;

namespace Msdn.Probe.Tests.Estimation;

/// <summary>The bit-packed window against its definition: the lost share of the last <c>size</c> outcomes.</summary>
public sealed class LossWindowPropertyTests
{
    [Property(MaxTest = 200)]
    public bool Loss_is_the_lost_share_of_the_last_outcomes(int seed, byte sizeSeed)
    {
        var size = 1 + (sizeSeed % 150); // across word edges: 1, 63, 64, 65, 128 ...
        var random = new Random(seed);
        var window = new LossWindow(size);
        var outcomes = new List<bool>();
        var lossRate = random.NextDouble();
        for (var i = 0; i < 400; i++)
        {
            var lost = random.NextDouble() < lossRate;
            outcomes.Add(lost);
            window.Add(lost);
            var last = outcomes.TakeLast(size).ToList();
            if (window.Count != last.Count || window.Loss != (double)last.Count(l => l) / last.Count)
            {
                return false;
            }
        }

        return true;
    }
}
