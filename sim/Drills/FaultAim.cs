namespace Msdn.Sim.Drills;

/// <summary>
/// Where a scenario's fault lands, decided the same way by both engines from where each flow runs now:
/// the room to kill or drain (a flow's transit room, never a flow's endpoint), the link to cut or degrade
/// (a flow's first hop), or the region to cut off; and which flows it hits.
/// </summary>
public sealed record FaultAim(FaultKind Kind, string Target, IReadOnlyList<int> AffectedFlows, string? Note)
{
    /// <summary>
    /// The room, for <see cref="FaultKind.Kill"/> and <see cref="FaultKind.Drain"/> (or one of its relays, <c>room-N/k</c>,
    /// as the scenario names it); null when none fits.
    /// </summary>
    public string? Room { get; init; }

    /// <summary>Whether the fault aims at the relay a flow's engine writes through (<see cref="FaultSpec.IngressOf"/>) in <see cref="Room"/>.</summary>
    public bool AtIngress { get; init; }

    /// <summary>The link, for <see cref="FaultKind.Cut"/>, <see cref="FaultKind.Degrade"/> and <see cref="FaultKind.OneWayLoss"/>; null when none fits.</summary>
    public (string From, string To)? Link { get; init; }

    /// <summary>For <see cref="FaultKind.Partition"/>: the region's rooms, and the others.</summary>
    public (IReadOnlyList<string> Inside, IReadOnlyList<string> Outside)? Sides { get; init; }

    /// <param name="fault">The fault, validated by <see cref="ScenarioLoader"/>.</param>
    /// <param name="paths">Where each flow (by index) runs now, as room names from ingress to egress; empty when it has no path.</param>
    /// <param name="endpoints">The rooms where flows start or end.</param>
    /// <param name="world">The world (regions).</param>
    public static FaultAim Find(FaultSpec fault, IReadOnlyDictionary<int, string[]> paths, IReadOnlySet<string> endpoints, GeneratedWorld world)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(world);
        var kind = fault.Type;
        var name = FaultKinds.Name(kind);
        switch (kind)
        {
            case FaultKind.Kill or FaultKind.Drain:
            {
                var room = fault.Room;
                string? note = null;
                if (fault.IngressOf is { } writer)
                {
                    return paths[writer].Length == 0
                        ? new FaultAim(kind, "-", [], $"flow {writer} has no path now: no ingress relay to {name}")
                        : new FaultAim(kind, $"{paths[writer][0]} (flow {writer}'s ingress relay)", [writer], null) { Room = paths[writer][0], AtIngress = true };
                }

                if (fault.TransitOf is { } wanted)
                {
                    // Flow N's transit room; when N runs direct, the next flow's (in index order, wrapping) that crosses one.
                    for (var k = 0; k < paths.Count && room is null; k++)
                    {
                        var flow = (wanted + k) % paths.Count;
                        room = paths[flow].Skip(1).SkipLast(1).FirstOrDefault(r => !endpoints.Contains(r));
                        note = room is not null && k > 0 ? $"flow {wanted} runs direct: took flow {flow}'s transit room" : null;
                    }
                }

                return room is null
                    ? new FaultAim(kind, "-", [], $"no flow crosses a transit room that is no flow's endpoint: nothing to {name}")
                    : new FaultAim(kind, room, [.. paths.Where(p => p.Value.Skip(1).SkipLast(1).Contains(RoomOf(room))).Select(p => p.Key)], note) { Room = room };
            }

            case FaultKind.Partition:
            {
                var region = fault.Region!.Value;
                var inside = Enumerable.Range(0, world.Rooms).Where(i => world.Places[i].Region == region).Select(ScenarioLoader.RoomName).ToList();
                var outside = Enumerable.Range(0, world.Rooms).Select(ScenarioLoader.RoomName).Except(inside).ToList();
                var affected = paths.Where(p => p.Value.Any(inside.Contains) && p.Value.Any(r => !inside.Contains(r))).Select(p => p.Key).ToList();
                return new FaultAim(kind, $"region {region} ({inside.Count} rooms)", affected, null) { Sides = (inside, outside) };
            }

            case FaultKind.ControllerDown:
                return new FaultAim(kind, "controller", [], null);

            case FaultKind.Load:
                return new FaultAim(kind, fault.Room!, [], $"{fault.ExtraFlows ?? LoadDefaultFlows} extra flows to {LoadDestination(fault, world)} for {fault.ForSeconds} s") { Room = fault.Room };

            default:
            {
                var (from, to) = fault.TransitOf is { } f ? (paths[f].Length >= 2 ? (paths[f][0], paths[f][1]) : (null, null)) : (fault.From, fault.To);
                if (from is null || to is null)
                {
                    return new FaultAim(kind, "-", [], $"flow {fault.TransitOf} has no path now: no link to {name}");
                }

                return new FaultAim(kind, $"{from}>{to}", [.. paths.Where(p => Crosses(p.Value, from, to)).Select(p => p.Key)], null) { Link = (from, to) };
            }
        }
    }

    /// <summary>Extra flows a <c>load</c> fault adds when the scenario does not say.</summary>
    public const int LoadDefaultFlows = 8;

    /// <summary>Where a <c>load</c> fault's extra flows end: the room the scenario names, else the next room.</summary>
    public static string LoadDestination(FaultSpec fault, GeneratedWorld world)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(world);
        return fault.To ?? ScenarioLoader.RoomName((ScenarioLoader.RoomIndex(fault.Room!) + 1) % world.Rooms);
    }

    /// <summary>The room of a room's name or of one of its relays' (<c>room-N/k</c>).</summary>
    private static string RoomOf(string relayOrRoom) => relayOrRoom.Split('/')[0];

    /// <summary>Whether a path crosses the link, either way.</summary>
    public static bool Crosses(IReadOnlyList<string> path, string from, string to)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (var i = 0; i < path.Count - 1; i++)
        {
            if ((path[i] == from && path[i + 1] == to) || (path[i] == to && path[i + 1] == from))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What the engines print and record: when, what, where, whom it hit.</summary>
    public AppliedFault Applied(double at, long tableVersion = 0) => new(at, FaultKinds.Name(Kind), Target, AffectedFlows, Note, tableVersion);
}
