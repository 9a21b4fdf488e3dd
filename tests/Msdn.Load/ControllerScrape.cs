using System.Globalization;

namespace Msdn.Load;

/// <summary>The controller's own figures from its <c>/metrics</c>, read before and after a measurement.</summary>
internal sealed record ControllerScrape(string Text)
{
    public static async Task<ControllerScrape> ReadAsync(HttpClient http, CancellationToken cancellationToken) =>
        new(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken).ConfigureAwait(false));

    /// <summary>The sum over the series of <paramref name="name"/> whose labels hold every one of <paramref name="labels"/>.</summary>
    public double Sum(string name, params string[] labels) => Text.Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
        .Where(l => labels.All(label => l.Contains(label, StringComparison.Ordinal)))
        .Sum(l => double.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture));

    /// <summary>The cumulative count of a histogram's observations at or under each bucket bound.</summary>
    public IReadOnlyList<(double Le, double Count)> Buckets(string name) => [.. Text.Split('\n')
        .Where(l => l.StartsWith(name + "_bucket{", StringComparison.Ordinal))
        .Select(l => (Le: Bound(l), Count: double.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)))
        .OrderBy(b => b.Le)];

    /// <summary>The smallest bucket bound under which a share <paramref name="p"/> of what was observed between two scrapes fell.</summary>
    public static double PercentileBound(ControllerScrape before, ControllerScrape after, string name, double p)
    {
        var earlier = before.Buckets(name).ToDictionary(b => b.Le, b => b.Count);
        var buckets = after.Buckets(name).Select(b => (b.Le, Count: b.Count - earlier.GetValueOrDefault(b.Le))).ToList();
        var total = buckets.Count == 0 ? 0 : buckets[^1].Count;
        return total == 0 ? double.NaN : buckets.First(b => b.Count >= p * total).Le;
    }

    private static double Bound(string line)
    {
        var le = line[(line.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
        le = le[..le.IndexOf('"', StringComparison.Ordinal)];
        return le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
    }
}
