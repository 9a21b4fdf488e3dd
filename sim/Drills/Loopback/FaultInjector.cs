using System.Diagnostics;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>Applies one fault of a scenario to the loopback overlay, and returns the task that lifts it later (if it has a duration).</summary>
public static class FaultInjector
{
    public static async Task<(AppliedFault Applied, Task? Lift)> ApplyAsync(LoopbackCluster cluster, GeneratedWorld world, IReadOnlyList<DrillFlow> flows, FaultSpec fault, Stopwatch clock, TextWriter progress)
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
        string target;
        Task? lift = null;
        List<int> affected;
        string? note = null;
        switch (fault.Kind)
        {
            case "kill" or "drain":
            {
                // A flow's transit room, never a room where a flow starts or ends (that would end the flow, not test failover).
                var endpoints = flows.SelectMany(f => new[] { f.From, f.To }).ToHashSet();
                var room = fault.Room;
                if (fault.TransitOf is { } wanted)
                {
                    // Flow N's transit room; when N runs direct, the next flow's (in index order, wrapping) that crosses one.
                    for (var k = 0; k < flows.Count && room is null; k++)
                    {
                        var flow = (wanted + k) % flows.Count;
                        room = paths[flow].Skip(1).SkipLast(1).FirstOrDefault(r => !endpoints.Contains(r));
                        note = room is not null && k > 0 ? $"flow {wanted} runs direct: took flow {flow}'s transit room" : null;
                    }
                }

                if (room is null)
                {
                    note = $"no flow crosses a transit room that is no flow's endpoint: nothing to {fault.Kind}";
                    target = "-";
                    affected = [];
                    break;
                }

                target = room;
                affected = [.. paths.Where(p => p.Value.Skip(1).SkipLast(1).Contains(room)).Select(p => p.Key)];
                if (fault.Kind == "kill")
                {
                    await cluster.Relays[room].KillAsync().ConfigureAwait(false);
                }
                else
                {
                    await cluster.DrainAsync(room).ConfigureAwait(false);
                }

                break;
            }

            case "partition":
            {
                var region = fault.Region!.Value;
                var inside = Enumerable.Range(0, world.Rooms).Where(i => world.Places[i].Region == region).Select(ScenarioLoader.RoomName).ToHashSet();
                var outside = Enumerable.Range(0, world.Rooms).Select(ScenarioLoader.RoomName).Where(r => !inside.Contains(r)).ToList();
                target = $"region {region} ({string.Join(", ", inside)})";
                affected = [.. paths.Where(p => p.Value.Any(inside.Contains) && p.Value.Any(r => !inside.Contains(r))).Select(p => p.Key)];
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

            case "controllerDown":
                target = "controller";
                affected = [];
                cluster.ControlProxy.Cut();
                lift = LiftAfter(fault.ForSeconds!.Value, () =>
                {
                    cluster.ControlProxy.Restore();
                    return Task.CompletedTask;
                });
                break;
            default:
            {
                var (from, to) = fault.TransitOf is { } f ? (paths[f].Length >= 2 ? (paths[f][0], paths[f][1]) : (null, null)) : (fault.From, fault.To);
                if (from is null || to is null)
                {
                    note = $"flow {fault.TransitOf} has no path now: no link to {fault.Kind}";
                    target = "-";
                    affected = [];
                    break;
                }

                target = $"{from}>{to}";
                affected = [.. paths.Where(p => FaultTargets.Crosses(p.Value, from, to)).Select(p => p.Key)];
                var distance = world.Rtt[ScenarioLoader.RoomIndex(from), ScenarioLoader.RoomIndex(to)] / 2;
                object impaired = fault.Kind switch
                {
                    "cut" => new { cut = true },
                    _ => new { delayMs = distance + (fault.DelayMs ?? 0), loss = fault.Loss ?? 0, meanBurst = fault.Burst ?? 1 },
                };
                await cluster.ImpairAsync(from, to, impaired).ConfigureAwait(false);
                if (fault.Kind != "oneWayLoss")
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

        progress.WriteLine($"  t={at,5:F1} s  {fault.Kind,-14} {target,-18} hits flows [{string.Join(", ", affected)}]{(note is null ? string.Empty : $"  ({note})")}");
        return (new AppliedFault(at, fault.Kind, target, affected, note, version), lift);
    }

    private static async Task LiftAfter(double seconds, Func<Task> lift)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        await lift().ConfigureAwait(false);
    }

    private static string? Middle(string[] path) => path.Length > 2 ? path[1] : null;
}
