using Msdn.Probe.Agent;
using Msdn.Probe.Detection;

namespace Msdn.Probe.Tests.Detection;

/// <summary>The loss-burst rule on its own: how many links, within what window, how long it lasts and how often it may come.</summary>
public sealed class LossBurstTests
{
    private static readonly ProbeAgentOptions Options = new() { BurstLinks = 3, BurstFraction = 0.05, BurstWindow = TimeSpan.FromMilliseconds(500), BurstFastProbing = TimeSpan.FromSeconds(2) };

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Three_links_beginning_to_lose_within_the_window_make_a_burst_that_lasts_its_time()
    {
        var burst = new LossBurst(Options);
        Assert.False(burst.LossBegan(Ms(1000), links: 20));
        Assert.False(burst.LossBegan(Ms(1200), links: 20));
        Assert.False(burst.Active(Ms(1300)));
        Assert.True(burst.LossBegan(Ms(1400), links: 20));
        Assert.True(burst.Active(Ms(1400)));
        Assert.True(burst.Active(Ms(3399)));
        Assert.False(burst.Active(Ms(3400)));
        Assert.Equal(1, burst.Bursts);
    }

    [Fact]
    public void Losses_spread_wider_than_the_window_are_not_a_burst()
    {
        var burst = new LossBurst(Options);
        for (var i = 0; i < 20; i++)
        {
            Assert.False(burst.LossBegan(Ms(i * 300), links: 20)); // one link every 300 ms: at most two in any 500 ms
        }

        Assert.Equal(0, burst.Bursts);
    }

    [Fact]
    public void With_many_links_the_share_sets_the_threshold()
    {
        var burst = new LossBurst(Options);
        Assert.Equal(13, burst.Threshold(245)); // 5 % of 245, rounded up
        for (var i = 0; i < 12; i++)
        {
            Assert.False(burst.LossBegan(Ms(i * 10), links: 245));
        }

        Assert.True(burst.LossBegan(Ms(120), links: 245));
    }

    [Fact]
    public void After_a_burst_the_next_waits_out_the_cooldown()
    {
        var burst = new LossBurst(Options);
        for (var i = 0; i < 3; i++)
        {
            burst.LossBegan(Ms(i), links: 10);
        }

        Assert.Equal(1, burst.Bursts);
        var cooldown = LossBurst.CooldownFactor * Options.BurstFastProbing;
        for (var i = 0; i < 3; i++)
        {
            Assert.False(burst.LossBegan(cooldown - Ms(10 - i), links: 10));
        }

        Assert.False(burst.Active(cooldown - Ms(1)));
        for (var i = 0; i < 3; i++)
        {
            burst.LossBegan(cooldown + Ms(i), links: 10);
        }

        Assert.Equal(2, burst.Bursts);
    }

    [Fact]
    public void A_zero_fast_probing_time_turns_bursts_off()
    {
        var burst = new LossBurst(new ProbeAgentOptions { BurstFastProbing = TimeSpan.Zero });
        for (var i = 0; i < 50; i++)
        {
            Assert.False(burst.LossBegan(Ms(i), links: 50));
        }

        Assert.False(burst.Active(Ms(50)));
    }
}
