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
        foreach (var field in new[] { "engine", "durationSeconds", "world.rooms", "world.detourShare", "flows.rateKbps", "flows.pairs[0].to", "flows.pairs[1].from", "faults[0].kind", "faults[0].at", "faults[1].forSeconds", "faults[2].from", "settings.probeFastIntervalMs" })
        {
            Assert.Contains(error.Problems, p => p.StartsWith(field + ":", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Unknown_fields_and_broken_json_are_refused_with_their_place()
    {
        Assert.Contains("seeed", Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "seeed": 3 }""")).Message, StringComparison.Ordinal);
        Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""{ "flows": { "count": "many" } }"""));
    }

    internal static string Quickstart => Path.Combine(AppContext.BaseDirectory, "drills", "quickstart.json");
}
