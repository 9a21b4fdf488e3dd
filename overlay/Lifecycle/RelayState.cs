namespace Msdn.Overlay.Lifecycle;

/// <summary>Where a relay is in its lifecycle: scale-in drains it before it may be removed.</summary>
public enum RelayState
{
    /// <summary>Takes new flows.</summary>
    Serving,

    /// <summary>Takes no new flows; existing ones continue or are moved to another relay of the room.</summary>
    Draining,

    /// <summary>Carries no flows: safe to remove. New load or a cancel returns it to service.</summary>
    Drained,
}
