using System.Text.Json;

namespace Msdn.Sim.Drills;

/// <summary>Reads and validates a scenario; every problem names its field (<c>faults[2].kind</c>).</summary>
public static class ScenarioLoader
{

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
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

        return Parse(text);
    }

    public static Scenario Parse(string json)
    {
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<Scenario>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ScenarioException([$"{(string.IsNullOrEmpty(e.Path) ? "$" : e.Path)}: {e.Message}"]);
        }

        var problems = Problems(scenario ?? throw new ScenarioException(["the scenario is empty"]));
        return problems.Count == 0 ? scenario : throw new ScenarioException(problems);
    }

    public static List<string> Problems(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var problems = new List<string>();
        void Check(bool ok, string field, string rule)
        {
            if (!ok)
            {
                problems.Add($"{field}: {rule}");
            }
        }

        Check(scenario.Engine is "loopback" or "virtual", "engine", $"must be \"loopback\" or \"virtual\", got \"{scenario.Engine}\"");
        var isVirtual = scenario.Engine == "virtual";
        Check(scenario.DurationSeconds is > 0 and <= 3600, "durationSeconds", "must be in (0, 3600]");
        var world = scenario.World ?? new WorldSpec();
        Check(world.WonderProxy is null || isVirtual, "world.wonderProxy", "runs on the virtual engine only");
        Check(world.WonderProxy is null || (File.Exists(Path.Combine(world.WonderProxy, Msdn.Sim.WonderProxy.WonderProxyDataset.ServersFile)) && File.Exists(Path.Combine(world.WonderProxy, Msdn.Sim.WonderProxy.WonderProxyDataset.PingsFile))), "world.wonderProxy", $"must be a directory holding {Msdn.Sim.WonderProxy.WonderProxyDataset.ServersFile} and {Msdn.Sim.WonderProxy.WonderProxyDataset.PingsFile}");
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
            Check(world.Rooms >= 3 && world.Rooms <= (isVirtual ? 1000 : 32), "world.rooms", isVirtual ? "must be 3..1000 for the virtual engine" : "must be 3..32 for the loopback engine (each room is a process)");
            Check(world.Regions >= 1 && world.Regions <= world.Rooms, "world.regions", "must be 1..rooms");
        }

        Check(world.RouteInflation is > 0 and <= 10, "world.routeInflation", "must be in (0, 10]");
        Check(world.DetourShare is >= 0 and <= 1, "world.detourShare", "must be in [0, 1]");
        Check(world.JitterMs is >= 0 and <= 1000, "world.jitterMs", "must be 0..1000");
        Check(world.Loss is >= 0 and < 1, "world.loss", "must be in [0, 1)");
        Check(world.LossBurst is >= 1 and <= 1000, "world.lossBurst", "must be 1..1000 (packets per loss burst)");
        Check(world.DegradingShare is >= 0 and <= 1, "world.degradingShare", "must be in [0, 1]");
        Check(world.DegradeMsPerMinute is >= 0 and <= 10_000, "world.degradeMsPerMinute", "must be 0..10000");
        Check(isVirtual || (world.JitterMs == 0 && world.Loss == 0 && world.DegradingShare == 0), "world", "jitterMs, loss and degradingShare (link dynamics) run on the virtual engine only");
        var flows = scenario.Flows ?? new FlowSpec();
        Check(flows.RateKbps is > 0 and <= 100_000, "flows.rateKbps", "must be in (0, 100000]");
        if (flows.Pairs is { } pairs)
        {
            for (var i = 0; i < pairs.Count; i++)
            {
                Check(IsRoom(pairs[i].From, roomCount), $"flows.pairs[{i}].from", $"must be a room of the world (room-0..room-{roomCount - 1})");
                Check(IsRoom(pairs[i].To, roomCount) && pairs[i].To != pairs[i].From, $"flows.pairs[{i}].to", "must be another room of the world");
            }
        }
        else
        {
            Check(flows.Count >= 1 && flows.Count <= (isVirtual ? 1000 : 64), "flows.count", isVirtual ? "must be 1..1000" : "must be 1..64");
        }

        var flowCount = flows.Pairs?.Count ?? flows.Count;
        for (var i = 0; i < scenario.Faults.Count; i++)
        {
            var fault = scenario.Faults[i];
            var at = $"faults[{i}]";
            Check(fault.At >= 0 && fault.At < scenario.DurationSeconds, $"{at}.at", "must fall within the drill (0 ≤ at < durationSeconds)");
            Check(fault.ForSeconds is null or > 0, $"{at}.forSeconds", "must be positive");
            Check(fault.TransitOf is null || (fault.TransitOf >= 0 && fault.TransitOf < flowCount), $"{at}.transitOf", $"must name a flow (0..{flowCount - 1})");
            if (!FaultKinds.TryParse(fault.Kind, out var kind))
            {
                Check(false, $"{at}.kind", $"must be one of {string.Join(", ", FaultKinds.Names)}, got \"{fault.Kind}\"");
                continue;
            }

            switch (kind)
            {
                case FaultKind.Kill or FaultKind.Drain:
                    Check(fault.TransitOf is not null || IsRoom(fault.Room, roomCount), $"{at}.room", "needs a room of the world, or transitOf");
                    break;
                case FaultKind.Cut or FaultKind.Degrade or FaultKind.OneWayLoss:
                    Check(fault.TransitOf is not null || (IsRoom(fault.From, roomCount) && IsRoom(fault.To, roomCount) && fault.From != fault.To), $"{at}.from", "needs from and to (two rooms of the world), or transitOf");
                    break;
                case FaultKind.ControllerDown:
                    Check(fault.ForSeconds is not null, $"{at}.forSeconds", "is required for controllerDown");
                    break;
                case FaultKind.Partition:
                    Check(fault.Region is not null && fault.Region >= 0 && fault.Region < regionCount, $"{at}.region", $"must name a region (0..{regionCount - 1})");
                    Check(regionCount >= 2, "world.regions", "must be at least 2 for a partition");
                    break;
            }

            if (kind is FaultKind.Degrade or FaultKind.OneWayLoss)
            {
                Check(fault.Loss is null or (>= 0 and <= 1), $"{at}.loss", "must be in [0, 1]");
                Check(fault.DelayMs is null or >= 0, $"{at}.delayMs", "must be ≥ 0");
                Check(fault.Burst is null or (>= 1 and <= 1000), $"{at}.burst", "must be 1..1000 (probes per loss burst)");
            }
        }

        var settings = scenario.Settings ?? new SettingsSpec();
        Check(settings.ProbeIntervalMs is >= 10 and <= 60_000, "settings.probeIntervalMs", "must be 10..60000");
        Check(settings.ProbeFastIntervalMs >= 10 && settings.ProbeFastIntervalMs <= settings.ProbeIntervalMs, "settings.probeFastIntervalMs", "must be 10..probeIntervalMs");
        Check(settings.DownAfterLosses is >= 1 and <= 100, "settings.downAfterLosses", "must be 1..100");
        Check(settings.AckTimeoutMs is >= 20 and <= 60_000, "settings.ackTimeoutMs", "must be 20..60000");
        Check(settings.JitterWeight is >= 0 and <= 100, "settings.jitterWeight", "must be 0..100");
        Check(settings.HysteresisMarginMs is >= 0 and <= 1000, "settings.hysteresisMarginMs", "must be 0..1000");
        Check(settings.RecomputeIntervalMs is >= 100 and <= 60_000, "settings.recomputeIntervalMs", "must be 100..60000");
        Check(settings.ControllerComputeMs is >= 1 and <= 60_000, "settings.controllerComputeMs", "must be 1..60000");
        Check(settings.Transport is "auto" or "quic" or "tcp", "settings.transport", $"must be \"auto\", \"quic\" or \"tcp\", got \"{settings.Transport}\"");
        Check(settings.Network is "loopback" or "netns", "settings.network", $"must be \"loopback\" or \"netns\", got \"{settings.Network}\"");
        Check(!isVirtual || settings.ProbeIntervalMs <= 10_000, "settings.probeIntervalMs", "must be at most 10000 on the virtual engine");
        return problems;
    }

    public static string RoomName(int index) => $"room-{index}";

    /// <summary>The index of a room named by <see cref="RoomName"/>.</summary>
    public static int RoomIndex(string room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return int.Parse(room.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsRoom(string? name, int rooms) =>
        name is not null && name.StartsWith("room-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), out var i) && i >= 0 && i < rooms && name == RoomName(i);
}

/// <summary>A scenario that cannot run, with every reason.</summary>
public sealed class ScenarioException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
