using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>Applies one fault of a scenario to the virtual world (the same targeting as the loopback engine), and schedules its end.</summary>
internal static class VirtualFaults
{
    public static AppliedFault Apply(FaultSpec fault, DrillRun run, VirtualWorld world, GeneratedWorld generated, VirtualDataPlane plane, RoomId[] ids)
    {
        // Which flows does it hit? Where each runs now, as its ingress relay has it.
        var paths = plane.Flows.ToDictionary(f => f.Drill.Index, f => f.Attempt?.Rooms ?? []);
        var at = run.NowUs / 1e6;
        string target;
        List<int> affected;
        string? note = null;
        switch (fault.Kind)
        {
            case "kill" or "drain":
            {
                var endpoints = plane.Flows.SelectMany(f => new[] { f.From, f.To }).ToHashSet();
                int? room = fault.Room is { } named ? ScenarioLoader.RoomIndex(named) : null;
                if (fault.TransitOf is { } wanted)
                {
                    // Flow N's transit room; when N runs direct, the next flow's (in index order, wrapping) that crosses one.
                    var count = paths.Count;
                    for (var k = 0; k < count && room is null; k++)
                    {
                        var flow = (wanted + k) % count;
                        room = paths[flow].Skip(1).SkipLast(1).Cast<int?>().FirstOrDefault(r => !endpoints.Contains(r!.Value));
                        note = room is not null && k > 0 ? $"flow {wanted} runs direct: took flow {flow}'s transit room" : null;
                    }
                }

                if (room is not { } r)
                {
                    note = $"no flow crosses a transit room that is no flow's endpoint: nothing to {fault.Kind}";
                    (target, affected) = ("-", []);
                    break;
                }

                target = ids[r].Value;
                affected = [.. paths.Where(p => p.Value.Skip(1).SkipLast(1).Contains(r)).Select(p => p.Key)];
                if (fault.Kind == "kill")
                {
                    run.RelayKilled(r);
                    if (fault.ForSeconds is { } back)
                    {
                        run.Later(back, () => run.RelayRestarted(r));
                    }
                }
                else
                {
                    world.Draining[r] = true;
                    plane.Draining(r);
                    if (fault.ForSeconds is { } serve)
                    {
                        run.Later(serve, () => world.Draining[r] = false);
                    }
                }

                break;
            }

            case "partition":
            {
                var inside = Enumerable.Range(0, generated.Rooms).Where(i => generated.Places[i].Region == fault.Region).ToList();
                var outside = Enumerable.Range(0, generated.Rooms).Except(inside).ToList();
                target = $"region {fault.Region} ({inside.Count} rooms)";
                affected = [.. paths.Where(p => p.Value.Any(inside.Contains) && p.Value.Any(r => !inside.Contains(r))).Select(p => p.Key)];
                SetCut(run, inside, outside, cut: true);
                if (fault.ForSeconds is { } heal)
                {
                    run.Later(heal, () => SetCut(run, inside, outside, cut: false));
                }

                break;
            }

            case "controllerDown":
                (target, affected) = ("controller", []);
                run.ControllerDown();
                run.Later(fault.ForSeconds!.Value, run.ControllerBack);
                break;
            default:
            {
                var (from, to) = fault.TransitOf is { } f
                    ? (paths[f].Length >= 2 ? (paths[f][0], paths[f][1]) : (-1, -1))
                    : (ScenarioLoader.RoomIndex(fault.From!), ScenarioLoader.RoomIndex(fault.To!));
                if (from < 0)
                {
                    note = $"flow {fault.TransitOf} has no path now: no link to {fault.Kind}";
                    (target, affected) = ("-", []);
                    break;
                }

                target = $"{ids[from]}>{ids[to]}";
                affected = [.. paths.Where(p => FaultTargets.Crosses(p.Value, from, to)).Select(p => p.Key)];
                if (fault.Kind == "cut")
                {
                    run.LinkCut(from, to, cut: true);
                    run.LinkCut(to, from, cut: true);
                    if (fault.ForSeconds is { } seconds)
                    {
                        run.Later(seconds, () =>
                        {
                            run.LinkCut(from, to, cut: false);
                            run.LinkCut(to, from, cut: false);
                        });
                    }
                }
                else
                {
                    var (delay, loss, burst) = (fault.DelayMs ?? 0, fault.Loss ?? 0, fault.Burst ?? 1);
                    world.Degrade(from, to, delay, loss, burst);
                    if (fault.Kind != "oneWayLoss")
                    {
                        world.Degrade(to, from, delay, loss, burst);
                    }

                    if (fault.ForSeconds is { } seconds)
                    {
                        run.Later(seconds, () =>
                        {
                            world.Degrade(from, to, 0, 0, 1);
                            world.Degrade(to, from, 0, 0, 1);
                        });
                    }
                }

                break;
            }
        }

        return new AppliedFault(at, fault.Kind, target, affected, note);
    }

    private static void SetCut(DrillRun run, List<int> inside, List<int> outside, bool cut)
    {
        foreach (var a in inside)
        {
            foreach (var b in outside)
            {
                run.LinkCut(a, b, cut);
                run.LinkCut(b, a, cut);
            }
        }
    }
}
