using System.Text.Json;

namespace Msdn.Sim.Drills;

/// <summary>
/// Reads and validates a scenario; every problem names its field (<c>faults[2].kind</c>) and echoes the bad value.
/// A relative <c>world.wonderProxy</c> path is resolved from the scenario file's directory.
/// </summary>
public static class ScenarioLoader
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict, // "60" is not a number of seconds
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static Scenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException([$"cannot read {path}: {e.Message}"]);
        }

        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="baseDirectory">Where relative paths in the scenario start from (the scenario file's directory); null: the current directory.</param>
    public static Scenario Parse(string json, string? baseDirectory = null)
    {
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<Scenario>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ScenarioException([Explain(e)]);
        }

        if (baseDirectory is not null && scenario?.World?.WonderProxy is { } measured && !Path.IsPathRooted(measured))
        {
            scenario = scenario with { World = scenario.World with { WonderProxy = Path.GetFullPath(Path.Combine(baseDirectory, measured)) } };
        }

        var problems = Problems(scenario ?? throw new ScenarioException(["the scenario is empty"]));
        return problems.Count == 0 ? scenario : throw new ScenarioException(problems);
    }

    public static List<string> Problems(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var problems = new List<string>();
        void Check(bool ok, string field, string rule, object? value = null)
        {
            if (!ok)
            {
                problems.Add(value is null ? $"{field}: {rule}" : $"{field}: {rule}, got {(value is string text ? $"\"{text}\"" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture))}");
            }
        }

        Check(scenario.Engine is "loopback" or "virtual", "engine", $"must be \"loopback\" or \"virtual\", got \"{scenario.Engine}\"");
        var isVirtual = scenario.Engine == "virtual";
        Check(scenario.DurationSeconds is > 0 and <= 3600, "durationSeconds", "must be in (0, 3600]", scenario.DurationSeconds);
        var world = scenario.World ?? new WorldSpec();
        Check(world.WonderProxy is null || isVirtual, "world.wonderProxy", "runs on the virtual engine only");
        Check(world.WonderProxy is null || (File.Exists(Path.Combine(world.WonderProxy, Msdn.Sim.WonderProxy.WonderProxyDataset.ServersFile)) && File.Exists(Path.Combine(world.WonderProxy, Msdn.Sim.WonderProxy.WonderProxyDataset.PingsFile))), "world.wonderProxy", $"must be a directory holding {Msdn.Sim.WonderProxy.WonderProxyDataset.ServersFile} and {Msdn.Sim.WonderProxy.WonderProxyDataset.PingsFile} (a relative path starts from the scenario file's directory)", world.WonderProxy);
        var (roomCount, regionCount) = (world.Rooms, world.Regions);
        if (world.WonderProxy is { } measured && problems.Count == 0)
        {
            // The measured world decides how many rooms and regions there are (rooms and regions are ignored).
            try
            {
                var data = GeneratedWorld.FromWonderProxy(Msdn.Sim.WonderProxy.WonderProxyDataset.Load(measured));
                (roomCount, regionCount) = (data.Rooms, data.Places.Select(p => p.Region).Distinct().Count());
            }
            catch (Msdn.Sim.WonderProxy.WonderProxyFormatException e)
            {
                Check(false, "world.wonderProxy", e.Message);
            }
        }
        else
        {
            Check(world.Rooms >= 3 && world.Rooms <= (isVirtual ? 1000 : 32), "world.rooms", isVirtual ? "must be 3..1000 for the virtual engine" : "must be 3..32 for the loopback engine (each room is a process)", world.Rooms);
            Check(world.Regions >= 1 && world.Regions <= world.Rooms, "world.regions", "must be 1..rooms", world.Regions);
        }

        Check(world.NodesPerRoom is >= 1 and <= 4 && (isVirtual || world.Rooms * world.NodesPerRoom <= 48), "world.nodesPerRoom", isVirtual ? "must be 1..4" : "must be 1..4, with at most 48 relays in all (each relay is a process)", world.NodesPerRoom);
        Check(world.RouteInflation is > 0 and <= 10, "world.routeInflation", "must be in (0, 10]", world.RouteInflation);
        Check(world.DetourShare is >= 0 and <= 1, "world.detourShare", "must be in [0, 1]", world.DetourShare);
        Check(world.JitterMs is >= 0 and <= 1000, "world.jitterMs", "must be 0..1000", world.JitterMs);
        Check(world.Loss is >= 0 and < 1, "world.loss", "must be in [0, 1)", world.Loss);
        Check(world.LossBurst is >= 1 and <= 1000, "world.lossBurst", "must be 1..1000 (packets per loss burst)", world.LossBurst);
        Check(world.DegradingShare is >= 0 and <= 1, "world.degradingShare", "must be in [0, 1]", world.DegradingShare);
        Check(world.DegradeMsPerMinute is >= 0 and <= 10_000, "world.degradeMsPerMinute", "must be 0..10000", world.DegradeMsPerMinute);
        Check(isVirtual || (world.JitterMs == 0 && world.Loss == 0 && world.DegradingShare == 0), "world", "jitterMs, loss and degradingShare (link dynamics) run on the virtual engine only");
        var flows = scenario.Flows ?? new FlowSpec();
        Check(flows.RateKbps is > 0 and <= 100_000, "flows.rateKbps", "must be in (0, 100000]", flows.RateKbps);
        if (flows.Pairs is { } pairs)
        {
            for (var i = 0; i < pairs.Count; i++)
            {
                Check(IsRoom(pairs[i].From, roomCount), $"flows.pairs[{i}].from", $"must be a room of the world (room-0..room-{roomCount - 1}), got {Quoted(pairs[i].From)}");
                Check(IsRoom(pairs[i].To, roomCount) && pairs[i].To != pairs[i].From, $"flows.pairs[{i}].to", $"must be another room of the world, got {Quoted(pairs[i].To)}");
            }
        }
        else
        {
            Check(flows.Count >= 1 && flows.Count <= (isVirtual ? 1000 : 64), "flows.count", isVirtual ? "must be 1..1000" : "must be 1..64", flows.Count);
        }

        var flowCount = flows.Pairs?.Count ?? flows.Count;
        for (var i = 0; i < scenario.Faults.Count; i++)
        {
            var fault = scenario.Faults[i];
            var at = $"faults[{i}]";
            Check(fault.At >= 0 && fault.At < scenario.DurationSeconds, $"{at}.at", "must fall within the drill (0 ≤ at < durationSeconds)", fault.At);
            Check(fault.ForSeconds is null or > 0, $"{at}.forSeconds", "must be positive", fault.ForSeconds);
            Check(fault.TransitOf is null || (fault.TransitOf >= 0 && fault.TransitOf < flowCount), $"{at}.transitOf", $"must name a flow (0..{flowCount - 1})", fault.TransitOf);
            Check(fault.IngressOf is null || (fault.IngressOf >= 0 && fault.IngressOf < flowCount), $"{at}.ingressOf", $"must name a flow (0..{flowCount - 1})", fault.IngressOf);
            Check(fault.IngressOf is null || world.NodesPerRoom > 1, $"{at}.ingressOf", "needs world.nodesPerRoom of 2 or more (a flow's engine resumes at a sibling of the relay it loses)", fault.IngressOf);
            if (!FaultKinds.TryParse(fault.Kind, out var kind))
            {
                Check(false, $"{at}.kind", $"must be one of {string.Join(", ", FaultKinds.Names)}, got \"{fault.Kind}\"");
                continue;
            }

            switch (kind)
            {
                case FaultKind.Kill or FaultKind.Drain:
                    Check(fault.TransitOf is not null || fault.IngressOf is not null || IsRoom(fault.Room, roomCount) || IsRelay(fault.Room, roomCount, world.NodesPerRoom), $"{at}.room", world.NodesPerRoom > 1 ? $"needs a room of the world (room-0..room-{roomCount - 1}) or one of its relays (room-N/0..room-N/{world.NodesPerRoom - 1}), or transitOf or ingressOf, got {Quoted(fault.Room)}" : $"needs a room of the world (room-0..room-{roomCount - 1}), or transitOf, got {Quoted(fault.Room)}");
                    break;
                case FaultKind.Cut or FaultKind.Degrade or FaultKind.OneWayLoss when fault.TransitOf is null:
                    Check(IsRoom(fault.From, roomCount), $"{at}.from", $"must be a room of the world (room-0..room-{roomCount - 1}), or give transitOf, got {Quoted(fault.From)}");
                    Check(IsRoom(fault.To, roomCount) && fault.To != fault.From, $"{at}.to", $"must be another room of the world (room-0..room-{roomCount - 1}), got {Quoted(fault.To)}");
                    break;
                case FaultKind.ControllerDown:
                    Check(fault.ForSeconds is not null, $"{at}.forSeconds", "is required for controllerDown", fault.ForSeconds);
                    break;
                case FaultKind.Load:
                    Check(!isVirtual, $"{at}.kind", "load runs on the loopback engine only (the virtual engine's relays report no load)", fault.Kind);
                    Check(IsRoom(fault.Room, roomCount), $"{at}.room", $"must be a room of the world (room-0..room-{roomCount - 1}), got {Quoted(fault.Room)}");
                    Check(fault.ForSeconds is not null, $"{at}.forSeconds", "is required for load", fault.ForSeconds);
                    Check(fault.ExtraFlows is null or (>= 1 and <= 64), $"{at}.extraFlows", "must be 1..64", fault.ExtraFlows);
                    Check(fault.To is null || (IsRoom(fault.To, roomCount) && fault.To != fault.Room), $"{at}.to", $"must be another room of the world (room-0..room-{roomCount - 1}), where the extra flows end, got {Quoted(fault.To)}");
                    break;
                case FaultKind.Partition:
                    Check(fault.Region is not null && fault.Region >= 0 && fault.Region < regionCount, $"{at}.region", $"must name a region (0..{regionCount - 1})", fault.Region);
                    Check(regionCount >= 2, "world.regions", "must be at least 2 for a partition", world.Regions);
                    break;
            }

            if (kind is FaultKind.Degrade or FaultKind.OneWayLoss)
            {
                Check(fault.Loss is null or (>= 0 and <= 1), $"{at}.loss", "must be in [0, 1]", fault.Loss);
                Check(fault.DelayMs is null or >= 0, $"{at}.delayMs", "must be ≥ 0", fault.DelayMs);
                Check(fault.Burst is null or (>= 1 and <= 1000), $"{at}.burst", "must be 1..1000 (probes per loss burst)", fault.Burst);
            }
        }

        var settings = scenario.Settings ?? new SettingsSpec();
        Check(settings.ProbeIntervalMs is >= 10 and <= 60_000, "settings.probeIntervalMs", "must be 10..60000", settings.ProbeIntervalMs);
        Check(settings.ProbeFastIntervalMs >= 10 && settings.ProbeFastIntervalMs <= settings.ProbeIntervalMs, "settings.probeFastIntervalMs", "must be 10..probeIntervalMs", settings.ProbeFastIntervalMs);
        Check(settings.DownAfterLosses is >= 1 and <= 100, "settings.downAfterLosses", "must be 1..100", settings.DownAfterLosses);
        Check(settings.DrainTimeoutMs is >= 100 and <= 3_600_000, "settings.drainTimeoutMs", "must be 100..3600000", settings.DrainTimeoutMs);
        Check(settings.CapacityFlows is >= 1 and <= 10_000_000, "settings.capacityFlows", "must be 1..10000000", settings.CapacityFlows);
        Check(settings.AckTimeoutMs is >= 20 and <= 60_000, "settings.ackTimeoutMs", "must be 20..60000", settings.AckTimeoutMs);
        Check(settings.JitterWeight is >= 0 and <= 100, "settings.jitterWeight", "must be 0..100", settings.JitterWeight);
        Check(settings.HysteresisMarginMs is >= 0 and <= 1000, "settings.hysteresisMarginMs", "must be 0..1000", settings.HysteresisMarginMs);
        Check(settings.RecomputeIntervalMs is >= 100 and <= 60_000, "settings.recomputeIntervalMs", "must be 100..60000", settings.RecomputeIntervalMs);
        Check(settings.ControllerComputeMs is >= 1 and <= 60_000, "settings.controllerComputeMs", "must be 1..60000", settings.ControllerComputeMs);
        Check(settings.Transport is "auto" or "quic" or "tcp", "settings.transport", $"must be \"auto\", \"quic\" or \"tcp\", got \"{settings.Transport}\"");
        Check(settings.Network is "loopback" or "netns", "settings.network", $"must be \"loopback\" or \"netns\", got \"{settings.Network}\"");
        Check(!isVirtual || settings.ProbeIntervalMs <= 10_000, "settings.probeIntervalMs", "must be at most 10000 on the virtual engine", settings.ProbeIntervalMs);
        return problems;
    }

    /// <summary>A JSON problem for a person: the field, the line and column counted from 1, and no serializer internals.</summary>
    private static string Explain(JsonException e)
    {
        var field = string.IsNullOrEmpty(e.Path) ? "$" : e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
        var where = e.LineNumber is { } line ? $" (line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1})" : string.Empty;
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        message = cut >= 0 ? message[..cut] : message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            message = $"is not a field of a scenario here (misspelt? docs/drills.md lists them)";
        }
        else if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            message = "has the wrong type (numbers are written without quotes, names with them)";
        }

        return $"{field}{where}: {message}";
    }

    public static string RoomName(int index) => $"room-{index}";

    /// <summary>The index of a room named by <see cref="RoomName"/>.</summary>
    public static int RoomIndex(string room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return int.Parse(room.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Quoted(string? value) => value is null ? "nothing" : $"\"{value}\"";

    /// <summary>Whether <paramref name="name"/> is one of a room's relays, <c>room-N/k</c>, with several per room.</summary>
    private static bool IsRelay(string? name, int rooms, int nodes)
    {
        var slash = name?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        return nodes > 1 && slash > 0 && IsRoom(name![..slash], rooms) && int.TryParse(name.AsSpan(slash + 1), out var k) && k >= 0 && k < nodes && name[(slash + 1)..] == k.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsRoom(string? name, int rooms) =>
        name is not null && name.StartsWith("room-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), out var i) && i >= 0 && i < rooms && name == RoomName(i);
}

/// <summary>A scenario that cannot run, with every reason.</summary>
public sealed class ScenarioException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
