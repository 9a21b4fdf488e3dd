using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Reads each relay's own count of its control bytes on the wire (<c>msdn_relay_control_bytes</c> by kind and
/// direction) every second and adds what grew to a <see cref="ControlTally"/>. A relay that restarted counts from
/// zero again; a killed relay's last second before its death is not seen (the control proxy's total, which sees
/// every byte, leaves that as "unattributed").
/// </summary>
internal sealed partial class ControlWireScraper(LoopbackCluster cluster, Stopwatch clock, ControlTally tally)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(string Room, string Kind, string Direction), long> _last = [];
    private double _startedAt = double.NaN;

    /// <summary>Scrapes until cancelled, then once more.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                await ScrapeAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await ScrapeAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Seconds relative to the start of the flows; before it (the overlay starting) is negative.</summary>
    public void FlowsStarted() => _startedAt = clock.Elapsed.TotalSeconds;

    private async Task ScrapeAsync(CancellationToken cancellationToken)
    {
        var now = clock.Elapsed.TotalSeconds;
        var at = double.IsNaN(_startedAt) ? -1 : now - _startedAt;
        foreach (var room in cluster.Relays.Keys)
        {
            if (await cluster.MetricsAsync(room, cancellationToken).ConfigureAwait(false) is not { } scrape)
            {
                continue;
            }

            foreach (var (kind, direction, value) in Parse(scrape))
            {
                var key = (room, kind, direction);
                var last = _last.GetValueOrDefault(key);
                var grew = value >= last ? value - last : value; // lower than before: the relay restarted
                _last[key] = value;
                tally.Add(kind, direction == "sent" ? grew : 0, direction == "received" ? grew : 0, at);
            }
        }
    }

    /// <summary>The control byte counters of one Prometheus scrape: (kind, direction, value).</summary>
    public static IEnumerable<(string Kind, string Direction, long Value)> Parse(string scrape)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        foreach (Match line in Counter().Matches(scrape))
        {
            var labels = line.Groups["labels"].Value;
            var kind = Label().Matches(labels).FirstOrDefault(l => l.Groups["name"].Value == "kind")?.Groups["value"].Value;
            var direction = Label().Matches(labels).FirstOrDefault(l => l.Groups["name"].Value == "direction")?.Groups["value"].Value;
            if (kind is not null && direction is not null)
            {
                yield return (kind, direction, (long)double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture));
            }
        }
    }

    [GeneratedRegex(@"^msdn_relay_control_bytes[a-z_]*\{(?<labels>[^}]*)\} (?<value>[0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex Counter();

    [GeneratedRegex(@"(?<name>[a-z_]+)=""(?<value>[^""]*)""")]
    private static partial Regex Label();
}
