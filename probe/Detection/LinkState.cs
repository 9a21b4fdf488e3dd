namespace Msdn.Probe.Detection;

/// <summary>A link's liveness as the probe agent declares it.</summary>
public enum LinkState
{
    /// <summary>Not yet confirmed by enough answered probes (every link starts here, and returns here on failure).</summary>
    Down = 0,
    Up = 1,
}
