using Microsoft.Extensions.Options;

namespace Msdn.Graph.Costs;

/// <summary>Rejects weights that would make costs negative, infinite or meaningless, naming the setting.</summary>
public sealed class CostModelOptionsValidator : IValidateOptions<CostModelOptions>
{
    public ValidateOptionsResult Validate(string? name, CostModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        CheckWeight(failures, nameof(CostModelOptions.JitterWeight), options.JitterWeight);
        CheckWeight(failures, nameof(CostModelOptions.LossPenaltyMsPerPercent), options.LossPenaltyMsPerPercent);
        CheckWeight(failures, nameof(CostModelOptions.HopPenaltyMs), options.HopPenaltyMs);
        if (double.IsNaN(options.MaxUsableLoss) || options.MaxUsableLoss <= 0 || options.MaxUsableLoss > 1)
        {
            failures.Add($"{CostModelOptions.SectionName}:{nameof(CostModelOptions.MaxUsableLoss)} must be in (0, 1], got {options.MaxUsableLoss}.");
        }

        if (!double.IsFinite(options.LossNoiseFloor) || options.LossNoiseFloor < 0 || options.LossNoiseFloor >= options.MaxUsableLoss)
        {
            failures.Add($"{CostModelOptions.SectionName}:{nameof(CostModelOptions.LossNoiseFloor)} must be in [0, MaxUsableLoss), got {options.LossNoiseFloor}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckWeight(List<string> failures, string setting, double value)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            failures.Add($"{CostModelOptions.SectionName}:{setting} must be a finite number >= 0, got {value}.");
        }
    }
}
