namespace Msdn.Sim.Soak;

/// <summary>How one soak flow ended, as its sender and its subscriber saw it.</summary>
public enum SoakOutcome
{
    /// <summary>The sender was told "delivered" and the subscriber read every byte, in order, unchanged.</summary>
    Delivered,

    /// <summary>The sender was told why the flow could not go on (a refusal, a relay gone, a subscriber that stalled).</summary>
    Refused,

    /// <summary>The sender was told "delivered" but the subscriber's bytes differ: a failure.</summary>
    Corrupted,

    /// <summary>Neither an answer nor a refusal reached the sender in time: a failure.</summary>
    Unaccounted,
}
