namespace Msdn.Overlay.Load;

/// <summary>
/// What one relay is sized for (<c>Relay:Capacity:*</c>): its load is the largest share of any of these it uses,
/// so a relay short of CPU counts as busy however few its flows.
/// </summary>
public sealed record RelayCapacity
{
    /// <summary>Flows carried at once, every role counted (<c>Relay:Capacity:Flows</c>).</summary>
    public int Flows { get; init; } = 10_000;

    /// <summary>Bytes per second in or out, whichever is larger (<c>Relay:Capacity:BytesPerSecond</c>; default 1 GB/s, 8 Gbit/s).</summary>
    public long BytesPerSecond { get; init; } = 1_000_000_000;

    /// <summary>Cores of CPU the relay may use (<c>Relay:Capacity:Cpu</c>; default: all the host has).</summary>
    public double Cpu { get; init; } = Environment.ProcessorCount;

    /// <summary>Resident memory, MiB (<c>Relay:Capacity:MemoryMiB</c>).</summary>
    public long MemoryMiB { get; init; } = 4096;
}
