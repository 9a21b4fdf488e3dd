using Microsoft.Extensions.Options;
using Msdn.Graph.Costs;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Costs;

public sealed class CostModelTests
{
    [Fact]
    public void Cost_is_rtt_plus_weighted_jitter_plus_loss_penalty_plus_hop_penalty()
    {
        var model = new CostModel(new CostModelOptions { JitterWeight = 2, LossPenaltyMsPerPercent = 10, HopPenaltyMs = 1, LossNoiseFloor = 0 });
        var cost = model.Cost(new LinkQuality(rttMs: 40, jitterMs: 3, loss: 0.02, isUp: true, DateTimeOffset.UnixEpoch));
        Assert.Equal(40 + (2 * 3) + (10 * 2) + 1, cost, 3);
    }

    [Fact]
    public void Loss_up_to_the_noise_floor_costs_nothing_and_only_the_excess_counts()
    {
        var model = new CostModel(new CostModelOptions { JitterWeight = 0, LossPenaltyMsPerPercent = 10, HopPenaltyMs = 0 }); // floor 1 %: one probe in a hundred
        float At(double loss) => model.Cost(new LinkQuality(40, 0, loss, true, DateTimeOffset.UnixEpoch));
        Assert.Equal(At(0), At(0.01));
        Assert.Equal(40 + (10 * 2), At(0.03), 3);
        Assert.True(At(0.011) > At(0.01), "just above the floor, loss counts again");
    }

    [Fact]
    public void Latency_only_cost_is_the_rtt()
    {
        var model = new CostModel(CostModelOptions.LatencyOnly);
        Assert.Equal(37.5f, model.Cost(new LinkQuality(37.5, 9, 0.3, true, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public void Down_or_too_lossy_links_have_no_edge()
    {
        var model = new CostModel(new CostModelOptions { MaxUsableLoss = 0.4 });
        Assert.True(float.IsPositiveInfinity(model.Cost(new LinkQuality(10, 0, 0, false, DateTimeOffset.UnixEpoch))));
        Assert.True(float.IsPositiveInfinity(model.Cost(new LinkQuality(10, 0, 0.4, true, DateTimeOffset.UnixEpoch))));
        Assert.True(float.IsFinite(model.Cost(new LinkQuality(10, 0, 0.39, true, DateTimeOffset.UnixEpoch))));
    }

    [Fact]
    public void Zero_rtt_still_costs_a_little_so_paths_never_loop()
    {
        var model = new CostModel(CostModelOptions.LatencyOnly);
        Assert.Equal(CostModel.MinimumCostMs, model.Cost(LinkQuality.FromRtt(0)));
    }

    [Theory]
    [InlineData(nameof(CostModelOptions.JitterWeight))]
    [InlineData(nameof(CostModelOptions.LossPenaltyMsPerPercent))]
    [InlineData(nameof(CostModelOptions.HopPenaltyMs))]
    [InlineData(nameof(CostModelOptions.MaxUsableLoss))]
    [InlineData(nameof(CostModelOptions.LossNoiseFloor))]
    public void Invalid_weights_are_refused_naming_the_setting(string setting)
    {
        var options = setting switch
        {
            nameof(CostModelOptions.JitterWeight) => new CostModelOptions { JitterWeight = -1 },
            nameof(CostModelOptions.LossPenaltyMsPerPercent) => new CostModelOptions { LossPenaltyMsPerPercent = double.NaN },
            nameof(CostModelOptions.HopPenaltyMs) => new CostModelOptions { HopPenaltyMs = double.PositiveInfinity },
            nameof(CostModelOptions.LossNoiseFloor) => new CostModelOptions { LossNoiseFloor = 0.6 }, // at or above MaxUsableLoss (0.5)
            _ => new CostModelOptions { MaxUsableLoss = 0 },
        };
        var result = new CostModelOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains($"CostModel:{setting}", result.FailureMessage, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => new CostModel(options));
    }
}
