namespace Msdn.Overlay.Lifecycle;

/// <summary>When rising load takes a draining relay back into service.</summary>
public sealed record DrainPolicy
{
    /// <summary>The room's load (0–1, e.g. flows over capacity across its relays) at or above which draining is abandoned.</summary>
    public double ReturnToServiceLoad { get; init; } = 0.8;
}
