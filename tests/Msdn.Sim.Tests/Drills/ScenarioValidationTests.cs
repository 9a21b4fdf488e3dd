using Msdn.Sim.Drills;

namespace Msdn.Sim.Tests.Drills;

/// <summary>Scenarios are checked before anything starts; every problem names its field.</summary>
public sealed class ScenarioValidationTests
{
    [Fact]
    public void The_shipped_quickstart_is_valid()
    {
        var scenario = ScenarioLoader.Load(Quickstart);
        Assert.Equal("loopback", scenario.Engine);
        Assert.Equal(6, scenario.World.Rooms);
        Assert.Equal(5, scenario.Faults.Count);
    }

    [Fact]
    public void Bad_fields_are_each_named()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""
            {
              "engine": "warp", "durationSeconds": -1,
              "world": { "rooms": 2, "detourShare": 3 },
              "flows": { "pairs": [ { "from": "room-0", "to": "room-0" }, { "from": "room-9", "to": "room-1" } ], "rateKbps": 0 },
              "faults": [ { "at": 99, "kind": "meteor" }, { "at": 1, "kind": "controllerDown" }, { "at": 1, "kind": "cut", "from": "room-0" } ],
              "settings": { "probeFastIntervalMs": 5000 }
            }
            """));
        foreach (var field in new[] { "engine", "durationSeconds", "world.rooms", "world.detourShare", "flows.rateKbps", "flows.pairs[0].to", "flows.pairs[1].from", "faults[0].kind", "faults[0].at", "faults[1].forSeconds", "faults[2].to", "settings.probeFastIntervalMs" })
        {
            Assert.Contains(error.Problems, p => p.StartsWith(field + ":", StringComparison.Ordinal));
        }

        // Each says what it got.
        Assert.Contains(error.Problems, p => p.StartsWith("faults[2].to:", StringComparison.Ordinal) && p.EndsWith("got nothing", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("flows.pairs[1].from:", StringComparison.Ordinal) && p.EndsWith("got \"room-9\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("world.detourShare:", StringComparison.Ordinal) && p.EndsWith("got 3", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("faults[0].at:", StringComparison.Ordinal) && p.EndsWith("got 99", StringComparison.Ordinal));
    }

    [Fact]
    public void The_shipped_global_500_is_a_valid_virtual_drill()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(AppContext.BaseDirectory, "drills", "global-500.json"));
        Assert.Equal("virtual", scenario.Engine);
        Assert.Equal(500, scenario.World.Rooms);
        Assert.Equal(600, scenario.DurationSeconds);
        Assert.True(scenario.Faults.Count >= 5);
    }

    [Fact]
    public void Engine_limits_and_virtual_only_dynamics_are_named()
    {
        var loopback = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""
            { "engine": "loopback", "world": { "rooms": 100, "jitterMs": 2, "loss": 1.5, "lossBurst": 0 }, "settings": { "recomputeIntervalMs": 10 } }
            """));
        foreach (var field in new[] { "world.rooms", "world.loss", "world.lossBurst", "world", "settings.recomputeIntervalMs" })
        {
            Assert.Contains(loopback.Problems, p => p.StartsWith(field + ":", StringComparison.Ordinal));
        }

        var tooBig = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "engine": "virtual", "world": { "rooms": 5000 }, "flows": { "count": 2000 } }"""));
        Assert.Contains(tooBig.Problems, p => p.StartsWith("world.rooms:", StringComparison.Ordinal));
        Assert.Contains(tooBig.Problems, p => p.StartsWith("flows.count:", StringComparison.Ordinal));
        Assert.Equal("virtual", ScenarioLoader.Parse("""{ "engine": "virtual", "world": { "rooms": 200, "jitterMs": 2, "loss": 0.001, "degradingShare": 0.1 } }""").Engine);
        var measured = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "engine": "loopback", "world": { "wonderProxy": "/nowhere" } }"""));
        Assert.Equal(2, measured.Problems.Count(p => p.StartsWith("world.wonderProxy:", StringComparison.Ordinal))); // not on loopback, and no data there
    }

    [Fact]
    public void Rooms_of_several_relays_run_on_both_engines_and_a_fault_may_aim_at_one_relay()
    {
        Assert.Equal(2, ScenarioLoader.Parse("""{ "engine": "virtual", "world": { "rooms": 500, "nodesPerRoom": 2 } }""").World.NodesPerRoom);
        var onVirtual = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "engine": "virtual", "world": { "rooms": 10, "nodesPerRoom": 5 } }"""));
        Assert.Contains(onVirtual.Problems, p => p == "world.nodesPerRoom: must be 1..4, got 5");
        var tooMany = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "world": { "rooms": 20, "nodesPerRoom": 3 } }"""));
        Assert.Contains(tooMany.Problems, p => p.StartsWith("world.nodesPerRoom:", StringComparison.Ordinal) && p.EndsWith("got 3", StringComparison.Ordinal));

        var aimed = ScenarioLoader.Parse("""
            { "world": { "rooms": 4, "nodesPerRoom": 3 }, "flows": { "count": 2 },
              "faults": [ { "at": 1, "kind": "kill", "room": "room-2/1" }, { "at": 2, "kind": "drain", "ingressOf": 1 } ] }
            """);
        Assert.Equal("room-2/1", aimed.Faults[0].Room);
        var missed = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""
            { "world": { "rooms": 4, "nodesPerRoom": 3 }, "faults": [ { "at": 1, "kind": "kill", "room": "room-2/3" } ] }
            """));
        Assert.Contains(missed.Problems, p => p.StartsWith("faults[0].room:", StringComparison.Ordinal) && p.Contains("room-N/2", StringComparison.Ordinal));
        var alone = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "world": { "rooms": 4 }, "faults": [ { "at": 1, "kind": "kill", "ingressOf": 0 } ] }"""));
        Assert.Contains(alone.Problems, p => p.StartsWith("faults[0].ingressOf:", StringComparison.Ordinal));
        Assert.Equal(3, ScenarioLoader.Load(Path.Combine(AppContext.BaseDirectory, "drills", "room-cluster.json")).World.NodesPerRoom);
    }

    [Fact]
    public void Load_names_a_room_a_duration_and_runs_on_loopback()
    {
        var loaded = ScenarioLoader.Parse("""
            { "world": { "rooms": 4, "nodesPerRoom": 2 }, "settings": { "capacityFlows": 4 },
              "faults": [ { "at": 1, "kind": "load", "room": "room-1", "to": "room-3", "extraFlows": 6, "forSeconds": 3 } ] }
            """);
        Assert.Equal(FaultKind.Load, loaded.Faults[0].Type);
        Assert.Equal(6, loaded.Faults[0].ExtraFlows);
        Assert.Equal(4, loaded.Settings.CapacityFlows);

        var bad = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""
            { "world": { "rooms": 4 }, "settings": { "capacityFlows": 0 },
              "faults": [ { "at": 1, "kind": "load", "room": "room-1/0", "to": "room-7", "extraFlows": 65 } ] }
            """));
        Assert.Contains(bad.Problems, p => p.StartsWith("faults[0].room:", StringComparison.Ordinal) && p.EndsWith("got \"room-1/0\"", StringComparison.Ordinal));
        Assert.Contains(bad.Problems, p => p.StartsWith("faults[0].forSeconds:", StringComparison.Ordinal));
        Assert.Contains(bad.Problems, p => p.StartsWith("faults[0].extraFlows:", StringComparison.Ordinal) && p.EndsWith("65", StringComparison.Ordinal));
        Assert.Contains(bad.Problems, p => p.StartsWith("faults[0].to:", StringComparison.Ordinal));
        Assert.Contains(bad.Problems, p => p.StartsWith("settings.capacityFlows:", StringComparison.Ordinal));

        var onVirtual = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""
            { "engine": "virtual", "world": { "rooms": 4 }, "faults": [ { "at": 1, "kind": "load", "room": "room-1", "forSeconds": 3 } ] }
            """));
        Assert.Contains(onVirtual.Problems, p => p.StartsWith("faults[0].kind:", StringComparison.Ordinal) && p.Contains("loopback", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_fields_and_broken_json_are_refused_with_their_place()
    {
        Assert.Contains("seeed", Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "seeed": 3 }""")).Message, StringComparison.Ordinal);
        Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "flows": { "count": "many" } }"""));

        var misspelt = Assert.Single(Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("{\n  \"engine\": \"virtual\",\n  \"durationSecnds\": 60\n}")).Problems);
        Assert.StartsWith("durationSecnds (line 3, column ", misspelt, StringComparison.Ordinal); // lines count from 1
        Assert.DoesNotContain("Msdn.", misspelt, StringComparison.Ordinal); // no serializer internals
        var quoted = Assert.Single(Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "durationSeconds": "60" }""")).Problems);
        Assert.StartsWith("durationSeconds", quoted, StringComparison.Ordinal); // a number in quotes is not a number
    }

    [Fact]
    public void A_relative_wonderproxy_path_starts_from_the_scenario_file()
    {
        var dir = Directory.CreateTempSubdirectory("scenario-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data", "wp"));
        Directory.CreateDirectory(Path.Combine(dir, "drills"));
        var file = Path.Combine(dir, "drills", "s.json");
        File.WriteAllText(file, """{ "engine": "virtual", "world": { "wonderProxy": "../data/wp" } }""");
        var problem = Assert.Single(Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(file)).Problems, p => p.StartsWith("world.wonderProxy:", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(dir, "data", "wp"), problem, StringComparison.Ordinal); // resolved from the file, and named
        Directory.Delete(dir, recursive: true);
    }

    internal static string Quickstart => Path.Combine(AppContext.BaseDirectory, "drills", "quickstart.json");
}
