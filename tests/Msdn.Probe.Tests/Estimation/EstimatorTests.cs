using Msdn.Probe.Estimation;

namespace Msdn.Probe.Tests.Estimation;

public sealed class EstimatorTests
{
    [Fact]
    public void Rtt_is_an_eighth_gain_ewma_with_a_windowed_minimum()
    {
        var rtt = new RttEstimator(windowSize: 3);
        rtt.Add(40);
        Assert.Equal(40, rtt.SmoothedMs);
        rtt.Add(48); // 40 + (48 - 40) / 8 = 41
        Assert.Equal(41, rtt.SmoothedMs, 9);
        rtt.Add(33); // 41 + (33 - 41) / 8 = 40
        Assert.Equal(40, rtt.SmoothedMs, 9);
        Assert.Equal(33, rtt.MinimumMs);
        rtt.Add(50);
        rtt.Add(50);
        rtt.Add(50); // 33 has left the 3-sample window
        Assert.Equal(50, rtt.MinimumMs);
    }

    [Fact]
    public void Jitter_follows_rfc3550()
    {
        var jitter = new JitterEstimator();
        jitter.Add(20);
        Assert.Equal(0, jitter.JitterMs);
        jitter.Add(36); // |D| = 16 → J = 16 / 16 = 1
        Assert.Equal(1, jitter.JitterMs, 9);
        jitter.Add(20); // |D| = 16 → J = 1 + 15 / 16 = 1.9375
        Assert.Equal(1.9375, jitter.JitterMs, 9);
        jitter.Add(20); // |D| = 0 → J = 1.9375 − 1.9375 / 16
        Assert.Equal(1.9375 * 15 / 16, jitter.JitterMs, 9);
    }

    [Fact]
    public void Loss_window_forgets_old_outcomes()
    {
        var loss = new LossWindow(size: 4);
        loss.Add(true);
        loss.Add(false);
        Assert.Equal(0.5, loss.Loss);
        loss.Add(false);
        loss.Add(false);
        Assert.Equal(0.25, loss.Loss);
        loss.Add(false); // the first (lost) outcome leaves the window
        Assert.Equal(0, loss.Loss);
    }

    [Fact]
    public void Directional_loss_separates_the_way_there_from_the_way_back()
    {
        // 10 requests sent (sequences 1..10); the peer received 8 of them (counts in replies);
        // of those 8, replies came back for 1, 3, 5, 7, 10 only.
        var loss = new DirectionalLoss(window: 50);
        loss.AddReply(1, 1);
        loss.AddReply(3, 3);
        loss.AddReply(5, 4);
        loss.AddReply(7, 6);
        loss.AddReply(10, 8);
        // Sent after the first reply: 9; arrived: 7 → forward loss 2/9. Answered 4 of those 7 → reverse 3/7.
        Assert.Equal(2.0 / 9, loss.Forward!.Value, 9);
        Assert.Equal(3.0 / 7, loss.Reverse!.Value, 9);
    }

    [Fact]
    public void Directional_loss_restarts_when_the_peer_restarts()
    {
        var loss = new DirectionalLoss();
        loss.AddReply(1, 1);
        loss.AddReply(2, 2);
        loss.AddReply(3, 1); // the peer's count went back: it restarted
        Assert.Equal(0, loss.Forward!.Value);
        loss.AddReply(4, 2);
        Assert.Equal(0, loss.Forward!.Value);
    }
}
