using System.Diagnostics;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Applies one fault of a scenario to the loopback overlay, and returns the task that follows it on: lifts it later (if
/// it has a duration), watches a drained relay until it leaves Draining, runs a load fault's flows; its result is the
/// fault's outcome, if it has one.
/// </summary>
public static class FaultInjector
{
    /// <param name="drillOver">Cancelled once the drill's flows are done: a watch still running then reports what it saw so far.</param>
    public static async Task<(AppliedFault Applied, Task<string?>? Lift)> ApplyAsync(LoopbackCluster cluster, GeneratedWorld world, IReadOnlyList<DrillFlow> flows, FaultSpec fault, Stopwatch clock, TextWriter progress, CancellationToken drillOver)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(flows);
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(progress);

        // Which flows does it hit? Where each runs now, as its ingress relay says (else the controller's primary).
        var paths = new Dictionary<int, string[]>();
        foreach (var flow in flows)
        {
            var current = flow.RelayFlowId is { } id ? await cluster.FlowPathAsync(flow.From, id).ConfigureAwait(false) : null;
            paths[flow.Index] = current is { Length: >= 2 } ? current : (await cluster.PathAsync(flow.From, flow.To).ConfigureAwait(false))?.Rooms ?? [];
        }

        var version = await cluster.TableVersionAsync().ConfigureAwait(false);
        var at = clock.Elapsed.TotalSeconds;
        var aim = FaultAim.Find(fault, paths, flows.SelectMany(f => new[] { f.From, f.To }).ToHashSet(), world);
        Task<string?>? lift = null;
        switch (aim.Kind)
        {
            case FaultKind.Kill or FaultKind.Drain when aim.Room is { } room && await RelayAimedAtAsync(cluster, flows, aim, room).ConfigureAwait(false) is { } relay:
                aim = aim with { Target = aim.AtIngress ? $"{relay} (flow {aim.AffectedFlows[0]}'s ingress relay)" : relay };
                if (aim.Kind == FaultKind.Kill)
                {
                    await cluster.Relays[relay].KillAsync().ConfigureAwait(false);
                }
                else
                {
                    await cluster.DrainAsync(relay).ConfigureAwait(false);
                    lift = WatchDrainAsync(cluster, relay, clock, progress, drillOver);
                }

                break;
            case FaultKind.Load when aim.Room is { } busy:
                lift = LoadFlows.RunAsync(cluster, busy, FaultAim.LoadDestination(fault, world), fault.ExtraFlows ?? FaultAim.LoadDefaultFlows, TimeSpan.FromSeconds(fault.ForSeconds!.Value), progress, drillOver);
                break;
            case FaultKind.Partition when aim.Sides is { } sides:
            {
                var (inside, outside) = sides;
                foreach (var a in inside)
                {
                    foreach (var b in outside)
                    {
                        await cluster.ImpairAsync(a, b, new { cut = true }).ConfigureAwait(false);
                        await cluster.ImpairAsync(b, a, new { cut = true }).ConfigureAwait(false);
                    }
                }

                if (fault.ForSeconds is { } healAfter)
                {
                    lift = LiftAfter(healAfter, async () =>
                    {
                        foreach (var a in inside)
                        {
                            foreach (var b in outside)
                            {
                                var distance = world.Rtt[ScenarioLoader.RoomIndex(a), ScenarioLoader.RoomIndex(b)] / 2;
                                await cluster.ImpairAsync(a, b, new { delayMs = distance }).ConfigureAwait(false);
                                await cluster.ImpairAsync(b, a, new { delayMs = distance }).ConfigureAwait(false);
                            }
                        }
                    });
                }

                break;
            }

            case FaultKind.ControllerDown:
                cluster.ControlProxy.Cut();
                lift = LiftAfter(fault.ForSeconds!.Value, () =>
                {
                    cluster.ControlProxy.Restore();
                    return Task.CompletedTask;
                });
                break;
            case FaultKind.Cut or FaultKind.Degrade or FaultKind.OneWayLoss when aim.Link is { } link:
            {
                var (from, to) = link;
                var distance = world.Rtt[ScenarioLoader.RoomIndex(from), ScenarioLoader.RoomIndex(to)] / 2;
                object impaired = aim.Kind == FaultKind.Cut
                    ? new { cut = true }
                    : new { delayMs = distance + (fault.DelayMs ?? 0), loss = fault.Loss ?? 0, meanBurst = fault.Burst ?? 1 };
                await cluster.ImpairAsync(from, to, impaired).ConfigureAwait(false);
                if (aim.Kind != FaultKind.OneWayLoss)
                {
                    await cluster.ImpairAsync(to, from, impaired).ConfigureAwait(false);
                }

                if (fault.ForSeconds is { } seconds)
                {
                    lift = LiftAfter(seconds, async () =>
                    {
                        await cluster.ImpairAsync(from, to, new { delayMs = distance }).ConfigureAwait(false);
                        await cluster.ImpairAsync(to, from, new { delayMs = distance }).ConfigureAwait(false);
                    });
                }

                break;
            }
        }

        var applied = aim.Applied(at, version);
        progress.WriteLine($"  t={at,5:F1} s  {applied.Kind,-14} {applied.Target,-18} hits flows [{string.Join(", ", applied.AffectedFlows)}]{(applied.Note is null ? string.Empty : $"  ({applied.Note})")}");
        return (applied, lift);
    }

    /// <summary>
    /// Which relay a kill or drain aimed at <paramref name="room"/> hits: the one named; with several relays per room, the one
    /// flow N's engine writes through (ingressOf), else the room's relay carrying most flows now (a transit room's busy one).
    /// </summary>
    private static async Task<string?> RelayAimedAtAsync(LoopbackCluster cluster, IReadOnlyList<DrillFlow> flows, FaultAim aim, string room)
    {
        if (aim.AtIngress)
        {
            return flows[aim.AffectedFlows[0]].Writer?.Relay is { } port ? cluster.RelayAt(port) : null;
        }

        if (cluster.NodesPerRoom == 1 || room.Contains('/', StringComparison.Ordinal))
        {
            return room;
        }

        var (busiest, most) = ((string?)null, -1);
        foreach (var relay in cluster.LiveRelaysOf(room))
        {
            if (await cluster.HealthAsync(relay).ConfigureAwait(false) is { } health && health.ActiveFlows > most)
            {
                (busiest, most) = (relay, health.ActiveFlows);
            }
        }

        return busiest;
    }

    private static async Task<string?> LiftAfter(double seconds, Func<Task> lift)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        await lift().ConfigureAwait(false);
        return null;
    }

    /// <summary>Follows a draining relay until it is Drained or back to Serving (rising room load), and says which and when.</summary>
    private static async Task<string?> WatchDrainAsync(LoopbackCluster cluster, string relay, Stopwatch clock, TextWriter progress, CancellationToken drillOver)
    {
        var from = clock.Elapsed;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        string? state = "Draining";
        try
        {
            while (await timer.WaitForNextTickAsync(drillOver).ConfigureAwait(false))
            {
                state = (await cluster.HealthAsync(relay).ConfigureAwait(false))?.State;
                if (state is not "Draining")
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return $"still {state ?? "not answering"} when the drill's flows were done";
        }

        var after = (clock.Elapsed - from).TotalSeconds;
        var outcome = state switch
        {
            "Drained" => $"Drained after {after:F1} s",
            "Serving" => $"back to Serving after {after:F1} s (its room's load rose)",
            _ => $"{state ?? "not answering"} after {after:F1} s",
        };
        progress.WriteLine($"  t={clock.Elapsed.TotalSeconds,5:F1} s  {relay}: {outcome}");
        return outcome;
    }
}
