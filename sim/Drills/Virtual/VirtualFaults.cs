using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>Applies one fault of a scenario to the virtual world where <see cref="FaultAim"/> lands it, and schedules its end.</summary>
internal static class VirtualFaults
{
    public static AppliedFault Apply(FaultSpec fault, DrillRun run, VirtualWorld world, GeneratedWorld generated, VirtualDataPlane plane, RoomId[] ids)
    {
        // Which flows does it hit? Where each runs now, as its ingress relay has it.
        var paths = plane.Flows.ToDictionary(f => f.Drill.Index, f => f.Attempt?.Rooms.Select(r => ids[r].Value).ToArray() ?? []);
        var endpoints = plane.Flows.SelectMany(f => new[] { ids[f.From].Value, ids[f.To].Value }).ToHashSet();
        var aim = FaultAim.Find(fault, paths, endpoints, generated);
        var at = run.NowUs / 1e6;
        switch (aim.Kind)
        {
            case FaultKind.Kill when aim.Room is { } name:
            {
                var r = NodeAimedAt(aim, name, world, plane);
                aim = Named(aim, r, world, plane);
                run.RelayKilled(r);
                if (fault.ForSeconds is { } back)
                {
                    run.Later(back, () => run.RelayRestarted(r));
                }

                break;
            }

            case FaultKind.Drain when aim.Room is { } name:
            {
                var r = NodeAimedAt(aim, name, world, plane);
                aim = Named(aim, r, world, plane);
                world.Draining[r] = true;
                plane.Draining(r);
                if (fault.ForSeconds is { } serve)
                {
                    run.Later(serve, () => world.Draining[r] = false);
                }

                break;
            }

            case FaultKind.Partition when aim.Sides is { } sides:
            {
                var (insideNames, outsideNames) = sides;
                var inside = insideNames.Select(ScenarioLoader.RoomIndex).ToList();
                var outside = outsideNames.Select(ScenarioLoader.RoomIndex).ToList();
                SetCut(run, inside, outside, cut: true);
                if (fault.ForSeconds is { } heal)
                {
                    run.Later(heal, () => SetCut(run, inside, outside, cut: false));
                }

                break;
            }

            case FaultKind.ControllerDown:
                run.ControllerDown();
                run.Later(fault.ForSeconds!.Value, run.ControllerBack);
                break;
            case FaultKind.Cut when aim.Link is { } cut:
            {
                var (fromName, toName) = cut;
                int from = ScenarioLoader.RoomIndex(fromName), to = ScenarioLoader.RoomIndex(toName);
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

                break;
            }

            case FaultKind.Degrade or FaultKind.OneWayLoss when aim.Link is { } degraded:
            {
                var (fromName, toName) = degraded;
                int from = ScenarioLoader.RoomIndex(fromName), to = ScenarioLoader.RoomIndex(toName);
                var (delay, loss, burst) = (fault.DelayMs ?? 0, fault.Loss ?? 0, fault.Burst ?? 1);
                world.Degrade(from, to, delay, loss, burst);
                if (aim.Kind == FaultKind.Degrade)
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

                break;
            }
        }

        return aim.Applied(at);
    }

    /// <summary>
    /// The relay a kill or drain aimed at <paramref name="name"/> hits: the one named (<c>room-N/k</c>); the one flow N's
    /// engine writes through (ingressOf); with several relays per room, the room's live relay carrying most flows now.
    /// </summary>
    private static int NodeAimedAt(FaultAim aim, string name, VirtualWorld world, VirtualDataPlane plane)
    {
        var parts = name.Split('/');
        var room = ScenarioLoader.RoomIndex(parts[0]);
        if (parts.Length == 2)
        {
            return (room * world.NodesPerRoom) + int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        if (aim.AtIngress)
        {
            return plane.Flows.First(f => f.Drill.Index == aim.AffectedFlows[0]).IngressNode;
        }

        return world.NodesOf(room).Where(k => world.NodeAlive[k])
            .OrderByDescending(k => plane.Flows.Count(f => f.Attempt is { } run && run.IndexOfNode(k) >= 0))
            .ThenBy(k => k)
            .DefaultIfEmpty(room * world.NodesPerRoom)
            .First();
    }

    /// <summary>With several relays per room, the fault names the relay it hit.</summary>
    private static FaultAim Named(FaultAim aim, int node, VirtualWorld world, VirtualDataPlane plane) =>
        world.NodesPerRoom == 1 ? aim : aim with { Target = aim.AtIngress ? $"{plane.NodeName(node)} (flow {aim.AffectedFlows[0]}'s ingress relay)" : plane.NodeName(node) };

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
