using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Probe.Transport;

namespace Msdn.Probe.Tests.Impairment;

/// <summary>Bursty loss delivers the loss and the burst length it was asked for, in the long run.</summary>
public sealed class GilbertElliottPropertyTests
{
    public static Arbitrary<(double Loss, double Burst, int Seed)> Settings() =>
        (from loss in Gen.Choose(2, 40)
         from burst in Gen.Choose(15, 200)
         from seed in Gen.Choose(0, int.MaxValue)
         select (loss / 100.0, burst / 10.0, seed)).ToArbitrary();

    [Property(Arbitrary = [typeof(GilbertElliottPropertyTests)], MaxTest = 40)]
    public bool Long_run_loss_and_mean_burst_match_the_settings((double Loss, double Burst, int Seed) settings)
    {
        var chain = new GilbertElliott(settings.Loss, settings.Burst);
        var random = new Random(settings.Seed);
        const int packets = 400_000;
        int lost = 0, bursts = 0;
        var previous = false;
        for (var i = 0; i < packets; i++)
        {
            var drop = chain.Drop(random.NextDouble());
            lost += drop ? 1 : 0;
            bursts += drop && !previous ? 1 : 0;
            previous = drop;
        }

        var loss = (double)lost / packets;
        var burst = (double)lost / Math.Max(1, bursts);
        return Math.Abs(loss - settings.Loss) <= Math.Max(0.01, 0.15 * settings.Loss)
            && Math.Abs(burst - settings.Burst) <= 0.2 * settings.Burst;
    }

    [Fact]
    public void Losses_come_in_runs_not_alone()
    {
        var chain = new GilbertElliott(0.1, 8);
        var random = new Random(1);
        var longest = 0;
        var run = 0;
        for (var i = 0; i < 100_000; i++)
        {
            run = chain.Drop(random.NextDouble()) ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        Assert.True(longest >= 20, $"longest run {longest}"); // independent 10 % loss almost never loses 20 in a row
    }
}
