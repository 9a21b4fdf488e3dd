using System.Diagnostics;
using Msdn.Client;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Client;
using Msdn.Tokens;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Runs a scenario on the loopback engine: starts the overlay, waits for routes, runs the flows through
/// the relays' client ports (the .NET client library, as media engines do), applies the faults on their
/// timeline, lets the flows finish and collects what was delivered.
/// </summary>
public static class LoopbackDrill
{
    public static async Task<DrillResults> RunAsync(Scenario scenario, string workDir, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(progress);
        var world = GeneratedWorld.Create(scenario.World, scenario.Seed);
        var flows = PickFlows(scenario, world);
        var wall = Stopwatch.StartNew();
        await using var cluster = await LoopbackCluster.StartAsync(scenario, world, workDir, progress).ConfigureAwait(false);
        var tally = new ControlTally();
        var scraper = new ControlWireScraper(cluster, wall, tally);
        using var stopScraping = new CancellationTokenSource();
        var scraping = scraper.RunAsync(stopScraping.Token);
        await WaitForHealthAsync(cluster, cancellationToken).ConfigureAwait(false);
        var transport = (await cluster.HealthAsync(cluster.Relays.Keys.First()).ConfigureAwait(false))?.Transport;
        progress.WriteLine($"relays run over {transport}");
        await cluster.ApplyDistancesAsync(world).ConfigureAwait(false);
        await WaitForRoutesAsync(cluster, flows, cancellationToken).ConfigureAwait(false);
        progress.WriteLine($"routes ready after {wall.Elapsed.TotalSeconds:F1} s; running {flows.Count} flows for {scenario.DurationSeconds} s with {scenario.Faults.Count} faults");

        // The flows: a subscriber at the destination's relay, a writer at the source's, both through client ports.
        var clock = Stopwatch.StartNew();
        scraper.FlowsStarted();
        var startTicks = Stopwatch.GetTimestamp();
        var until = TimeSpan.FromSeconds(scenario.DurationSeconds);
        var running = new List<Task>();
        var subscriptions = new List<IAsyncDisposable>();
        foreach (var flow in flows)
        {
            var subscription = await RelayClient.SubscribeAsync(cluster.SubscriberPorts(flow.To), cluster.MediaToken(flow.To, [], [flow.Endpoint]), flow.Endpoint, cancellationToken).ConfigureAwait(false);
            subscriptions.Add(subscription);
            running.Add(Task.Run(async () => await flow.ReadAsync(await subscription.AcceptFlowAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false), cancellationToken));
            // Written through the relay the path lookup names (with several per room, the rest of the room's to resume at).
            var entry = await cluster.EntryPortsAsync(flow.From, flow.To).ConfigureAwait(false);
            var writer = await RelayClient.OpenAsync(entry, cluster.MediaToken(flow.From, [$"{flow.To}/{flow.Endpoint}"], []), new RoomId(flow.To), flow.Endpoint, cancellationToken).ConfigureAwait(false);
            flow.RelayFlowId = writer.Id;
            flow.Writer = writer;
            running.Add(Task.Run(async () =>
            {
                await using (writer.ConfigureAwait(false))
                {
                    await flow.WriteAsync(writer, clock, until, cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken));
        }

        using var stopSampling = new CancellationTokenSource();
        var sampling = new FlowPathSampler(cluster, flows, clock).RunAsync(stopSampling.Token);

        // The faults, on their timeline.
        var applied = new List<AppliedFault>();
        var lifts = new List<(int Fault, Task<string?> Lift)>();
        using var drillOver = new CancellationTokenSource();
        foreach (var fault in scenario.Faults.OrderBy(f => f.At))
        {
            var wait = TimeSpan.FromSeconds(fault.At) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            var (done, lift) = await FaultInjector.ApplyAsync(cluster, world, flows, fault, clock, progress, drillOver.Token).ConfigureAwait(false);
            if (lift is not null)
            {
                lifts.Add((applied.Count, lift));
            }

            applied.Add(done);
        }

        // Flows end on their own at the drill's end; wait for the last bytes, within reason.
        var finished = Task.WhenAll(running);
        await Task.WhenAny(finished, Task.Delay(until - clock.Elapsed + TimeSpan.FromSeconds(30), cancellationToken)).ConfigureAwait(false);
        await drillOver.CancelAsync().ConfigureAwait(false);
        foreach (var (fault, lift) in lifts)
        {
            applied[fault] = applied[fault] with { Outcome = await lift.ConfigureAwait(false) };
        }

        await stopSampling.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        foreach (var flow in flows)
        {
            flow.PathsEnd(Math.Min(clock.Elapsed.TotalSeconds, scenario.DurationSeconds));
        }

        var routes = new List<FlowRoute>();
        var oracle = StretchOracle.Create(world.Rooms, (i, j) => world.Rtt[i, j]);
        foreach (var flow in flows)
        {
            var path = await cluster.PathAsync(flow.From, flow.To).ConfigureAwait(false);
            var optimal = oracle.Find(flow.From, flow.To)!.Cost;
            routes.Add(new FlowRoute(flow.Index, path?.Rooms ?? [], path?.ExpectedRttMs, optimal));
        }

        // A drained relay should have let every flow go by now (its engines' flows moved to siblings past the drain timeout).
        foreach (var drained in applied.Where(a => a.Kind == "drain" && a.Target != "-").Select(a => a.Target.Split(' ')[0]))
        {
            var health = await cluster.HealthAsync(drained).ConfigureAwait(false);
            progress.WriteLine($"  {drained} after its drain: {health?.State ?? "not answering"}, {health?.ActiveFlows ?? 0} flows");
        }

        var version = await cluster.TableVersionAsync().ConfigureAwait(false);
        foreach (var subscription in subscriptions)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }

        await stopScraping.CancelAsync().ConfigureAwait(false);
        await scraping.ConfigureAwait(false);
        var (up, all) = (cluster.ControlProxy.BytesToTarget, cluster.ControlProxy.BytesCarried);
        tally.Add("unattributed", Math.Max(0, up - tally.ToController), Math.Max(0, all - up - tally.FromController), clock.Elapsed.TotalSeconds);
        return new DrillResults(scenario, world, flows, applied, startTicks, wall.Elapsed.TotalSeconds, routes, Math.Max(0, version - 1), all, version) { Transport = transport, ControlToControllerBytes = up, ControlTally = tally };
    }

    private static List<DrillFlow> PickFlows(Scenario scenario, GeneratedWorld world)
    {
        if (scenario.Flows.Pairs is { } pairs)
        {
            return [.. pairs.Select((p, i) => new DrillFlow(i, p.From, p.To, scenario.Flows.RateKbps))];
        }

        var random = new Random(scenario.Seed);
        return [.. Enumerable.Range(0, scenario.Flows.Count).Select(i =>
        {
            var from = random.Next(world.Rooms);
            var to = (from + 1 + random.Next(world.Rooms - 1)) % world.Rooms;
            return new DrillFlow(i, ScenarioLoader.RoomName(from), ScenarioLoader.RoomName(to), scenario.Flows.RateKbps);
        })];
    }

    /// <summary>Until every relay answers and knows every peer (links can be impaired only then).</summary>
    internal static async Task WaitForHealthAsync(LoopbackCluster cluster, CancellationToken cancellationToken)
    {
        var peers = cluster.Relays.Keys.Select(LoopbackCluster.RoomOf).Distinct().Count() - 1;
        foreach (var relay in cluster.Relays.Keys)
        {
            // Relays learn each other from the controller's directory: links are set (distances) once every peer room is known.
            await Until(async () => await cluster.HealthAsync(relay).ConfigureAwait(false) is { } health && health.KnownPeers == peers, TimeSpan.FromSeconds(60), $"{relay}'s relay to answer and know every peer room", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WaitForRoutesAsync(LoopbackCluster cluster, IReadOnlyList<DrillFlow> flows, CancellationToken cancellationToken)
    {
        // Routes exist for every flow, and every relay holds the table they come from.
        await Until(
            async () =>
            {
                long version = 0;
                foreach (var flow in flows)
                {
                    if (await cluster.PathAsync(flow.From, flow.To).ConfigureAwait(false) is not { } path)
                    {
                        return false;
                    }

                    version = path.Version;
                }

                foreach (var room in cluster.Relays.Keys)
                {
                    if (await cluster.HealthAsync(room).ConfigureAwait(false) is not { } health || health.RouteTableVersion < version)
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(90),
            "routes for every flow at every relay",
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task Until(Func<Task<bool>> condition, TimeSpan limit, string what, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!await condition().ConfigureAwait(false))
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds} s waiting for {what}");
            }

            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
