using System.Globalization;
using System.Text;

namespace Msdn.Sim.Soak;

/// <summary>
/// The soak's figures: every flow accounted for (delivered, or refused with the reason its sender saw; anything
/// else is a failure), and for each relay its first and last figures after the warm-up with the trend between
/// (least squares over every sample of its last incarnation, per minute).
/// </summary>
public sealed record SoakReport(
    double Minutes,
    StallProbe Stall,
    int Delivered,
    int Refused,
    int Corrupted,
    int Unaccounted,
    long BytesDelivered,
    long BytesRefused,
    IReadOnlyList<ReasonCount> RefusalReasons,
    IReadOnlyList<RelayTrend> Relays,
    IReadOnlyList<string> Events,
    IReadOnlyList<SoakFlowRecord> Failures)
{
    /// <summary>Samples before this are the warm-up (the runtime's caches, pools and JIT settle); trends start after it.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromMinutes(1);

    public bool Passed => Corrupted == 0 && Unaccounted == 0;

    public static SoakReport From(SoakOptions options, StallProbe stall, IReadOnlyList<SoakFlowRecord> flows, IReadOnlyList<ProcessSample> samples, IReadOnlyList<string> events, IReadOnlyDictionary<string, int> incarnations)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(flows);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(incarnations);
        var relays = new List<RelayTrend>();
        foreach (var (room, last) in incarnations.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var lived = samples.Where(s => s.Room == room && s.Incarnation == last).OrderBy(s => s.Seconds).ToList();
            var settled = lived.Where(s => s.Seconds - lived[0].Seconds >= WarmUp.TotalSeconds).ToList();
            if (settled.Count < 2)
            {
                relays.Add(new RelayTrend(room, last, settled.Count, null, null));
                continue;
            }

            relays.Add(new RelayTrend(room, last, settled.Count, Figures.Of(settled[0]), Figures.Of(settled[^1]))
            {
                RssMiBPerMinute = Slope(settled, s => s.RssMiB),
                HeapMiBPerMinute = Slope(settled, s => s.HeapMiB),
                HandlesPerMinute = Slope(settled, s => s.Handles),
                ThreadsPerMinute = Slope(settled, s => s.Threads),
            });
        }

        var refused = flows.Where(f => f.Outcome == SoakOutcome.Refused).ToList();
        return new SoakReport(
            options.Duration.TotalMinutes,
            stall,
            flows.Count(f => f.Outcome == SoakOutcome.Delivered),
            refused.Count,
            flows.Count(f => f.Outcome == SoakOutcome.Corrupted),
            flows.Count(f => f.Outcome == SoakOutcome.Unaccounted),
            flows.Where(f => f.Outcome == SoakOutcome.Delivered).Sum(f => f.Received),
            refused.Sum(f => f.Offered),
            [.. refused.GroupBy(f => Shape(f.Reason)).Select(g => new ReasonCount(g.Key, g.Count())).OrderByDescending(g => g.Count)],
            relays,
            events,
            [.. flows.Where(f => f.Outcome is SoakOutcome.Corrupted or SoakOutcome.Unaccounted)]);
    }

    /// <summary>Every sample, one line each.</summary>
    public static string Csv(IEnumerable<ProcessSample> samples)
    {
        var csv = new StringBuilder("seconds,room,incarnation,rss_mib,heap_mib,handles,threads\n");
        foreach (var s in samples)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{s.Seconds:F1},{s.Room},{s.Incarnation},{s.RssMiB:F1},{s.HeapMiB:F1},{s.Handles},{s.Threads}\n");
        }

        return csv.ToString();
    }

    /// <summary>A reason without its numbers (flow ids, byte counts), so refusals of one kind count together.</summary>
    private static string Shape(string reason) => string.Concat(reason.Select(c => char.IsDigit(c) ? '#' : c)).Replace("##", "#", StringComparison.Ordinal);

    private static double Slope(IReadOnlyList<ProcessSample> samples, Func<ProcessSample, double> figure)
    {
        var meanX = samples.Average(s => s.Seconds);
        var meanY = samples.Average(figure);
        var num = samples.Sum(s => (s.Seconds - meanX) * (figure(s) - meanY));
        var den = samples.Sum(s => (s.Seconds - meanX) * (s.Seconds - meanX));
        return den == 0 ? 0 : num / den * 60;
    }
}

/// <summary>One relay over the soak: figures at the first and last sample after the warm-up of its last incarnation, and their trends per minute.</summary>
public sealed record RelayTrend(string Room, int Incarnations, int Samples, Figures? First, Figures? Last)
{
    public double RssMiBPerMinute { get; init; }

    public double HeapMiBPerMinute { get; init; }

    public double HandlesPerMinute { get; init; }

    public double ThreadsPerMinute { get; init; }
}

/// <summary>How many refused flows gave one reason.</summary>
public sealed record ReasonCount(string Reason, int Count);

/// <summary>A relay's figures at one sample.</summary>
public sealed record Figures(double Seconds, double RssMiB, double HeapMiB, int Handles, int Threads)
{
    public static Figures Of(ProcessSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return new(sample.Seconds, sample.RssMiB, sample.HeapMiB, sample.Handles, sample.Threads);
    }
}
