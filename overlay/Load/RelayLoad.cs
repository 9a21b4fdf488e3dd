namespace Msdn.Overlay.Load;

/// <summary>
/// One relay's load over the last sampling interval, against its <see cref="RelayCapacity"/>.
/// <see cref="Utilization"/> (0 = idle, 1 = at capacity; more when over it) is the largest of its shares.
/// </summary>
public sealed record RelayLoad(
    int Flows,
    double BytesInPerSecond,
    double BytesOutPerSecond,
    double UnitsInPerSecond,
    double UnitsOutPerSecond,
    double Cpu,
    long MemoryBytes,
    double Utilization)
{
    public static RelayLoad Idle { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);
}
