namespace Msdn.Sim.Drills;

/// <summary>The faults a scenario can schedule; a scenario file names them in camelCase (<see cref="FaultKinds"/>).</summary>
public enum FaultKind
{
    /// <summary>A transit relay's process dies (kill -9), and may come back after <c>forSeconds</c>.</summary>
    Kill,

    /// <summary>A link is cut both ways: nothing crosses, nothing says so.</summary>
    Cut,

    /// <summary>A link gets extra delay and loss both ways.</summary>
    Degrade,

    /// <summary>Loss (and delay) on one direction of a link only.</summary>
    OneWayLoss,

    /// <summary>The relays cannot reach the controller.</summary>
    ControllerDown,

    /// <summary>A transit relay starts draining.</summary>
    Drain,

    /// <summary>Every link between a region's rooms and the rest is cut, both ways.</summary>
    Partition,

    /// <summary>
    /// A room's relays get extra flows written through them for <c>forSeconds</c> (loopback engine): the load they
    /// report rises, and a relay draining there goes back to serving.
    /// </summary>
    Load,
}

/// <summary>Fault kinds as scenario files name them.</summary>
public static class FaultKinds
{
    private static readonly Dictionary<string, FaultKind> ByName = Enum.GetValues<FaultKind>().ToDictionary(Name, k => k, StringComparer.Ordinal);

    /// <summary>Every kind's name, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<FaultKind>().Select(Name)];

    /// <summary>The kind's name in a scenario file (camelCase: <c>oneWayLoss</c>).</summary>
    public static string Name(FaultKind kind)
    {
        var name = kind.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    public static bool TryParse(string name, out FaultKind kind) => ByName.TryGetValue(name, out kind);
}
