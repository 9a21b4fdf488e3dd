using Msdn.Fuzz;

namespace Msdn.Fuzz.Tests;

/// <summary>
/// Every input in the corpus, and every crash afl-fuzz ever found (kept under crashes/, one folder per
/// target), goes through its target: a decoder that throws anything but its typed error fails here.
/// </summary>
public sealed class FuzzCorpusTests
{
    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_input_and_past_crash_is_decoded_or_refused_with_the_decoder_s_typed_error(string target)
    {
        var inputs = new[] { "corpus", "crashes" }
            .Select(kind => Path.Combine(AppContext.BaseDirectory, kind, target))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles)
            .ToList();
        Assert.NotEmpty(inputs); // a target without seeds is fuzzed from nothing: keep at least one valid input
        foreach (var input in inputs)
        {
            var error = Record.Exception(() => FuzzTargets.All[target](File.ReadAllBytes(input)));
            Assert.True(error is null, $"{Path.GetFileName(input)}: {error}");
        }
    }
}
