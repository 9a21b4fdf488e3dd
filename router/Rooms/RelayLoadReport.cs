using MessagePack;
using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>
/// A relay's load over its last report interval, as it measured it against its configured capacity:
/// <see cref="Utilization"/> is the largest share of its flows, bytes per second, CPU or memory capacity it used
/// (0 idle, 1 at capacity, above 1 over it). Data units are frames, or the pieces a transit relay moves.
/// </summary>
[GenerateSerializer, Immutable, Alias("msdn.RelayLoadReport"), MessagePackObject]
public sealed record RelayLoadReport
{
    [Id(0), Key(0)] public int Flows { get; init; }

    [Id(1), Key(1)] public double BytesInPerSecond { get; init; }

    [Id(2), Key(2)] public double BytesOutPerSecond { get; init; }

    [Id(3), Key(3)] public double UnitsInPerSecond { get; init; }

    [Id(4), Key(4)] public double UnitsOutPerSecond { get; init; }

    /// <summary>Cores in use (1.5 = one and a half cores' time per second).</summary>
    [Id(5), Key(5)] public double Cpu { get; init; }

    [Id(6), Key(6)] public long MemoryBytes { get; init; }

    [Id(7), Key(7)] public double Utilization { get; init; }
}
