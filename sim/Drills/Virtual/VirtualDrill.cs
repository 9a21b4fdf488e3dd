using System.Diagnostics;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Probe.Agent;
using Msdn.Router.Routing;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// Runs a scenario in virtual time: one thread steps the world a millisecond at a time (probes from the
/// timing wheel, then every event due in that millisecond) with one seeded random source (and a seeded
/// stream per probe link, so that the once-a-second sweep of quiet links can run on an idle core, in any order); other
/// threads compute route tables, published <see cref="SettingsSpec.ControllerComputeMs"/> of virtual time
/// after they start. So the same scenario and seed give the same summary, byte for byte (bar the wall-clock seconds).
/// </summary>
public static class VirtualDrill
{
    /// <summary>Probing, reporting and route computation run this long before the timeline's 0 (flows start at 0).</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(10);

    /// <summary>How long after the writers stop the drill waits for the last bytes.</summary>
    public static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    public static DrillResults Run(Scenario scenario, TextWriter progress, CancellationToken cancellationToken) =>
        Run(scenario, progress, idleSweeper: true, cancellationToken);

    /// <param name="idleSweeper">Whether the sweep of quiet links may run on idle cores (the summary does not depend on it).</param>
    internal static DrillResults Run(Scenario scenario, TextWriter progress, bool idleSweeper, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(progress);
        var wall = Stopwatch.StartNew();
        var random = new Random(scenario.Seed);
        var generated = GeneratedWorld.Create(scenario.World, scenario.Seed);
        var world = new VirtualWorld(generated, scenario.World, random);
        var n = generated.Rooms;
        var ids = Enumerable.Range(0, n).Select(i => new RoomId(ScenarioLoader.RoomName(i))).ToArray();
        var settings = scenario.Settings;
        var probeOptions = new ProbeAgentOptions
        {
            BaseInterval = TimeSpan.FromMilliseconds(settings.ProbeIntervalMs),
            FastInterval = TimeSpan.FromMilliseconds(settings.ProbeFastIntervalMs),
            DownAfterLosses = settings.DownAfterLosses,
        };
        var routerOptions = new RouterOptions { RecomputeInterval = TimeSpan.FromMilliseconds(settings.RecomputeIntervalMs) };
        var relayOptions = new RelayNodeOptions { AckTimeout = TimeSpan.FromMilliseconds(settings.AckTimeoutMs), DrainTimeout = TimeSpan.FromMilliseconds(settings.DrainTimeoutMs) };
        var computer = new RouteComputer(new CostModel(new CostModelOptions { JitterWeight = settings.JitterWeight }), new HysteresisOptions { MarginMs = settings.HysteresisMarginMs }, Environment.ProcessorCount);

        long now = -(long)WarmUp.TotalMicroseconds;
        var queue = new EventQueue();
        using var probing = new VirtualProbing(world, probeOptions, ids, scenario.Seed, idleSweeper);
        var controller = new VirtualController(computer, routerOptions, ids, TimeSpan.FromMilliseconds(settings.ControllerComputeMs), new VirtualClock(() => now));
        var plane = new VirtualDataPlane(world, probing, queue, ids, relayOptions, () => now);
        var run = new DrillRun(scenario, generated, world, ids, probing, controller, plane, queue, () => now, random) { Progress = progress };
        probing.StateChanged += run.OnLinkState;
        probing.BurstSuspicion += plane.BurstSuspicion;

        // Every room's relay starts: its agent probes, its control link reports; the controller ticks.
        for (var room = 0; room < n; room++)
        {
            probing.Start(room, now / 1000);
            run.ScheduleReport(room, now + (long)(1e6 * random.NextDouble()));
        }

        queue.At(now + (long)routerOptions.RecomputeInterval.TotalMicroseconds, run.Tick);
        var flows = run.StartFlows();
        foreach (var fault in scenario.Faults.OrderBy(f => f.At))
        {
            run.AtWorldChange((long)(fault.At * 1e6), () => run.Apply(fault));
        }

        var endUs = (long)((scenario.DurationSeconds + Drain.TotalSeconds) * 1e6);
        var lastProgress = 0;
        long probeTicks = 0, eventTicks = 0, controlTicks = 0;
        for (var ms = now / 1000; ms * 1000 < endUs; ms++)
        {
            now = ms * 1000;
            world.Seconds = ms / 1000.0;
            var t0 = Stopwatch.GetTimestamp();
            probing.RunSlot(ms);
            if (controller.Publishing(now))
            {
                probing.SweepAhead(ms); // work for idle cores, from the wait on the table on (a fixed point in virtual time: the run stays repeatable)
            }

            var t1 = Stopwatch.GetTimestamp();
            queue.RunUntil(now + 1000, t => now = t);
            now = ms * 1000;
            var t2 = Stopwatch.GetTimestamp();
            if (controller.Poll(now) is { } table)
            {
                run.Published(table);
            }

            probeTicks += t1 - t0;
            eventTicks += t2 - t1;
            controlTicks += Stopwatch.GetTimestamp() - t2;

            if (ms % 1000 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ms >= 0 && (int)(ms / 1000) % 60 == 0 && (int)(ms / 1000) != lastProgress)
                {
                    lastProgress = (int)(ms / 1000);
                    progress.WriteLine($"  t={ms / 1000,4} s virtual, {wall.Elapsed.TotalSeconds,5:F1} s wall, table v{controller.Table.Version}, {probing.ProbesSent:N0} probes");
                }

                if (now >= scenario.DurationSeconds * 1e6 && plane.Flows.All(f => f.Done))
                {
                    break;
                }
            }
        }

        // Probing's cost per relay: a room's peers are shared among its relays, each probing its share (ProbeShare).
        var relays = n * scenario.World.NodesPerRoom;
        var probedSeconds = (now / 1e6) + WarmUp.TotalSeconds;
        progress.WriteLine($"  probes: {probing.ProbesSent:N0} in {probedSeconds:F0} s, {probing.ProbesSent / probedSeconds / relays:F0} per relay per second ({relays} relays, {scenario.World.NodesPerRoom} per room)");

        // Where the wall time went, for whoever tunes this engine next.
        progress.WriteLine($"  wall time: probing {probeTicks / (double)Stopwatch.Frequency:F1} s, flows and control events {eventTicks / (double)Stopwatch.Frequency:F1} s, waiting for and publishing route tables {controlTicks / (double)Stopwatch.Frequency:F1} s ({controller.Recomputations} recomputations, {controller.UrgentRecomputations} of them for a link down, computed in {controller.ComputeSeconds:F1} s on the other core); garbage collection paused {GC.GetTotalPauseDuration().TotalSeconds:F1} s ({GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections of generation 0/1/2)");
        return run.Results(flows, wall.Elapsed.TotalSeconds);
    }
}
