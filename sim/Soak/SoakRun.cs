using System.Collections.Concurrent;
using System.Diagnostics;
using Msdn.Sim.Drills;
using Msdn.Sim.Drills.Loopback;

namespace Msdn.Sim.Soak;

/// <summary>
/// Keeps a loopback overlay (the real controller and one real relay per room, as processes) busy for a while
/// and watches what its relays hold: flows opening and closing all the time on <c>flows.count</c> lanes (each
/// writing a random 256 KiB-4 MiB at <c>flows.rateKbps</c>), one lane of slow subscribers, one of subscribers
/// that never read, and a relay killed and started again every <see cref="SoakOptions.KillEvery"/>. Every 10 s
/// it samples each relay's RSS, managed heap, descriptors and threads. First, before the lanes start, it offers
/// 1 GiB to a subscriber that never reads and records what that costs the two relays.
/// </summary>
public sealed class SoakRun(Scenario scenario, SoakOptions options, TextWriter progress)
{
    private readonly ConcurrentQueue<SoakFlowRecord> _flows = new();
    private readonly ConcurrentQueue<ProcessSample> _samples = new();
    private readonly ConcurrentQueue<string> _events = new();
    private readonly Dictionary<string, int> _incarnations = [];
    private readonly Stopwatch _clock = new();
    private readonly Lock _restarting = new();

    /// <summary>Every sample taken so far.</summary>
    public IReadOnlyList<ProcessSample> Samples => [.. _samples];

    public async Task<SoakReport> RunAsync(string dir, CancellationToken cancellationToken)
    {
        var world = GeneratedWorld.Create(scenario.World, scenario.Seed);
        await using var cluster = await LoopbackCluster.StartAsync(scenario, world, dir, progress).ConfigureAwait(false);
        foreach (var room in cluster.Relays.Keys)
        {
            _incarnations[room] = 1;
        }

        await LoopbackDrill.WaitForHealthAsync(cluster, cancellationToken).ConfigureAwait(false);
        await cluster.ApplyDistancesAsync(world).ConfigureAwait(false);
        var rooms = cluster.Relays.Keys.Order(StringComparer.Ordinal).ToArray();
        await WaitForRoutesAsync(cluster, rooms, cancellationToken).ConfigureAwait(false);
        _clock.Start();

        var stall = await StallProbeAsync(cluster, rooms[0], rooms[^1], cancellationToken).ConfigureAwait(false);
        progress.WriteLine($"stall probe: {stall.Offered / (1024.0 * 1024):F1} MiB of 1 GiB taken before the relays held the sender; {stall.Reason}; RSS +{stall.IngressRssGrowthMiB:F1} MiB at {stall.From}, +{stall.EgressRssGrowthMiB:F1} MiB at {stall.To} (peak over the idle figure)");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var until = _clock.Elapsed + options.Duration;
        var lanes = new List<Task>();
        var random = new Random(scenario.Seed);
        for (var lane = 0; lane < scenario.Flows.Count + 2; lane++)
        {
            var pace = lane == scenario.Flows.Count ? SubscriberPace.Slow : lane == scenario.Flows.Count + 1 ? SubscriberPace.Never : SubscriberPace.Prompt;
            var laneSeed = random.Next();
            var laneNumber = lane;
            lanes.Add(Task.Run(() => LaneAsync(cluster, rooms, laneNumber, pace, laneSeed, until, stop.Token), CancellationToken.None));
        }

        var chaos = Task.Run(() => ChaosAsync(cluster, rooms, until, stop.Token), CancellationToken.None);
        var sampling = Task.Run(() => SampleAsync(cluster, rooms, stop.Token), CancellationToken.None);
        await Task.WhenAll(lanes).ConfigureAwait(false);
        await chaos.ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        return SoakReport.From(options, stall, [.. _flows], [.. _samples], [.. _events], _incarnations);
    }

    /// <summary>Offers 1 GiB to a subscriber that never reads while sampling both relays every 500 ms.</summary>
    private async Task<StallProbe> StallProbeAsync(LoopbackCluster cluster, string from, string to, CancellationToken cancellationToken)
    {
        var idle = (Rss(cluster, from), Rss(cluster, to));
        var flow = new SoakFlow(cluster, from, to, "soak-stall-probe", 1L << 30, long.MaxValue, SubscriberPace.Never, 1);
        using var done = new CancellationTokenSource();
        var peaks = (From: idle.Item1, To: idle.Item2);
        var watching = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            while (await timer.WaitForNextTickAsync(done.Token).ConfigureAwait(false))
            {
                peaks = (Math.Max(peaks.From, Rss(cluster, from)), Math.Max(peaks.To, Rss(cluster, to)));
            }
        }, CancellationToken.None);
        var (outcome, reason) = await flow.RunAsync(options.Patience, cancellationToken).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        try
        {
            await watching.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _flows.Enqueue(new SoakFlowRecord(_clock.Elapsed.TotalSeconds, "stall-probe", from, to, SubscriberPace.Never, 1L << 30, flow.Offered, flow.Received, outcome, reason));
        return new StallProbe(from, to, flow.Offered, outcome, reason, peaks.From - idle.Item1, peaks.To - idle.Item2);
    }

    private async Task LaneAsync(LoopbackCluster cluster, string[] rooms, int lane, SubscriberPace pace, int seed, TimeSpan until, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var rate = (long)(scenario.Flows.RateKbps * 1000 / 8);
        for (var n = 1; _clock.Elapsed < until && !cancellationToken.IsCancellationRequested; n++)
        {
            var from = rooms[random.Next(rooms.Length)];
            var to = rooms.Where(r => r != from).ElementAt(random.Next(rooms.Length - 1));
            var bytes = pace switch
            {
                SubscriberPace.Prompt => random.NextInt64(256 * 1024, 4 * 1024 * 1024),
                SubscriberPace.Slow => 2L * 1024 * 1024,
                _ => 64L * 1024 * 1024,
            };
            var started = _clock.Elapsed.TotalSeconds;
            var flow = new SoakFlow(cluster, from, to, $"soak-{lane}-{n}", bytes, rate, pace, (ulong)random.NextInt64());
            var (outcome, reason) = await RunGuardedAsync(flow, cancellationToken).ConfigureAwait(false);
            _flows.Enqueue(new SoakFlowRecord(started, $"lane-{lane}", from, to, pace, bytes, flow.Offered, flow.Received, outcome, reason));
        }
    }

    /// <summary>A relay restarting has no client port for a moment: the flow is refused, as a media engine would be.</summary>
    private async Task<(SoakOutcome, string)> RunGuardedAsync(SoakFlow flow, CancellationToken cancellationToken)
    {
        try
        {
            return await flow.RunAsync(options.Patience, cancellationToken).ConfigureAwait(false);
        }
        catch (KeyNotFoundException e)
        {
            return (SoakOutcome.Refused, $"relay restarting: {e.Message}");
        }
    }

    private async Task ChaosAsync(LoopbackCluster cluster, string[] rooms, TimeSpan until, CancellationToken cancellationToken)
    {
        var random = new Random(scenario.Seed + 1);
        try
        {
            while (_clock.Elapsed + options.KillEvery + options.RestartAfter < until)
            {
                await Task.Delay(options.KillEvery, cancellationToken).ConfigureAwait(false); // the soak's timeline
                var room = rooms[random.Next(rooms.Length)];
                await cluster.Relays[room].KillAsync().ConfigureAwait(false);
                _events.Enqueue($"{_clock.Elapsed.TotalSeconds:F0} s: killed {room}'s relay");
                progress.WriteLine($"{_clock.Elapsed.TotalSeconds,5:F0} s  killed {room}'s relay");
                await Task.Delay(options.RestartAfter, cancellationToken).ConfigureAwait(false);
                lock (_restarting)
                {
                    _incarnations[room]++;
                }

                await cluster.RestartRelayAsync(room).ConfigureAwait(false);
                _events.Enqueue($"{_clock.Elapsed.TotalSeconds:F0} s: started {room}'s relay again");
                progress.WriteLine($"{_clock.Elapsed.TotalSeconds,5:F0} s  started {room}'s relay again");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SampleAsync(LoopbackCluster cluster, string[] rooms, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.SampleEvery);
        try
        {
            do
            {
                var seconds = _clock.Elapsed.TotalSeconds;
                var line = new List<ProcessSample>();
                foreach (var room in rooms)
                {
                    if (!cluster.Relays.TryGetValue(room, out var relay) || relay.HasExited)
                    {
                        continue;
                    }

                    var metrics = await cluster.MetricsAsync(room, cancellationToken).ConfigureAwait(false);
                    int incarnation;
                    lock (_restarting)
                    {
                        incarnation = _incarnations[room];
                    }

                    if (ProcessSample.Read(seconds, room, incarnation, relay.Pid, metrics) is { } sample)
                    {
                        _samples.Enqueue(sample);
                        line.Add(sample);
                    }
                }

                var flows = _flows.ToArray();
                progress.WriteLine($"{seconds,5:F0} s  RSS MiB {string.Join(' ', line.Select(s => $"{s.RssMiB,5:F0}"))}  heap MiB {string.Join(' ', line.Select(s => $"{s.HeapMiB,4:F0}"))}  fds {string.Join(' ', line.Select(s => $"{s.Handles,3}"))}  threads {string.Join(' ', line.Select(s => $"{s.Threads,3}"))}  flows {flows.Count(f => f.Outcome == SoakOutcome.Delivered)} delivered, {flows.Count(f => f.Outcome == SoakOutcome.Refused)} refused, {flows.Count(f => f.Outcome is SoakOutcome.Corrupted or SoakOutcome.Unaccounted)} failed");
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double Rss(LoopbackCluster cluster, string room) =>
        cluster.Relays.TryGetValue(room, out var relay) && ProcessSample.Read(0, room, 0, relay.Pid, null) is { } sample ? sample.RssMiB : 0;

    /// <summary>Until every pair of rooms has a route and every relay holds the table it comes from.</summary>
    private static async Task WaitForRoutesAsync(LoopbackCluster cluster, string[] rooms, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (!await RoutedAsync().ConfigureAwait(false))
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new TimeoutException("not every pair of rooms had a route at every relay after 90 s");
            }

            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }

        async Task<bool> RoutedAsync()
        {
            long version = 0;
            foreach (var from in rooms)
            {
                foreach (var to in rooms.Where(r => r != from))
                {
                    if (await cluster.PathAsync(from, to).ConfigureAwait(false) is not { } path)
                    {
                        return false;
                    }

                    version = Math.Max(version, path.Version);
                }
            }

            foreach (var room in rooms)
            {
                if (await cluster.HealthAsync(room).ConfigureAwait(false) is not { } health || health.RouteTableVersion < version)
                {
                    return false;
                }
            }

            return true;
        }
    }
}

/// <summary>The soak's clock: how long, how often a relay dies, how long it stays dead, how long a flow may go unanswered.</summary>
public sealed record SoakOptions(TimeSpan Duration, TimeSpan KillEvery, TimeSpan RestartAfter, TimeSpan Patience, TimeSpan SampleEvery);

/// <summary>One soak flow as it ended.</summary>
public sealed record SoakFlowRecord(double StartedSeconds, string Lane, string From, string To, SubscriberPace Pace, long Bytes, long Offered, long Received, SoakOutcome Outcome, string Reason);

/// <summary>What 1 GiB offered to a subscriber that never reads cost the relays at either end.</summary>
public sealed record StallProbe(string From, string To, long Offered, SoakOutcome Outcome, string Reason, double IngressRssGrowthMiB, double EgressRssGrowthMiB);
