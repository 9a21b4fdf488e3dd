using Microsoft.Extensions.Options;

namespace Msdn.Graph.Routing;

/// <summary>Rejects negative or non-finite margins, naming the setting.</summary>
public sealed class HysteresisOptionsValidator : IValidateOptions<HysteresisOptions>
{
    public ValidateOptionsResult Validate(string? name, HysteresisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!double.IsFinite(options.MarginMs) || options.MarginMs < 0)
        {
            failures.Add($"{HysteresisOptions.SectionName}:{nameof(HysteresisOptions.MarginMs)} must be a finite number >= 0, got {options.MarginMs}.");
        }

        if (!double.IsFinite(options.MarginPercent) || options.MarginPercent < 0 || options.MarginPercent >= 100)
        {
            failures.Add($"{HysteresisOptions.SectionName}:{nameof(HysteresisOptions.MarginPercent)} must be in [0, 100), got {options.MarginPercent}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
