using Microsoft.Extensions.Time.Testing;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>The relays one flow passes over: each once, for a while, and never more than a bounded number.</summary>
public sealed class AvoidedNodesTests
{
    [Fact]
    public void A_relay_is_avoided_once_for_the_hold_then_used_again()
    {
        var time = new FakeTimeProvider();
        var avoided = new AvoidedNodes(time);
        Assert.True(avoided.Add("10.0.0.1:5000"));
        Assert.False(avoided.Add("10.0.0.1:5000")); // named again while avoided: the choice did not pass it over, so the path fails instead
        Assert.Equal(["10.0.0.1:5000"], avoided.Now());

        time.Advance(AvoidedNodes.Hold - TimeSpan.FromMilliseconds(1));
        Assert.Single(avoided.Now());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(avoided.Now()); // restarted at its address, or serving again
        Assert.True(avoided.Add("10.0.0.1:5000"));
    }

    [Fact]
    public void At_most_max_relays_are_avoided()
    {
        var avoided = new AvoidedNodes(new FakeTimeProvider());
        for (var i = 0; i < AvoidedNodes.Max; i++)
        {
            Assert.True(avoided.Add($"10.0.0.{i}:5000"));
        }

        Assert.False(avoided.Add("10.0.1.1:5000"));
        Assert.Equal(AvoidedNodes.Max, avoided.Now().Count);
    }
}
