namespace Msdn.Overlay.Relay;

/// <summary>How a relay forwards and fails over.</summary>
public sealed record RelayNodeOptions
{
    /// <summary>Unacknowledged data with no ack progress for this long means the path is broken: fail over.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// How long a new path may take to return its first ack (its relays may still be dialling and
    /// handshaking onward) before it counts as broken.
    /// </summary>
    public TimeSpan PathSetupTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a last frame (a close, a refusal, an ack) or a graceful close may wait on the peer of a stream
    /// (which may have stopped reading, or died) before the stream is reset instead.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a flow waits, holding its data, while the route table has no route to its destination.</summary>
    public TimeSpan NoRouteGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a flow ending here may go with no path carrying it before it is ended as cut off and its state let
    /// go: its ingress relay died, or gave up on every way here. Longer than <see cref="NoRouteGrace"/> plus a
    /// path's set-up, so a flow whose ingress is still waiting out a partition is not ended under it.
    /// </summary>
    public TimeSpan OrphanFlowTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a path that failed is kept from being moved back to. A flow that failed over stays on its new path
    /// while it works; once the failed path's links are up again and this long has passed, the table's primary is
    /// worth returning to (a 29 ms direct link back from an 80 ms detour), and a flow moves there when it next
    /// weighs a move. Shorter would try a path that fails invisibly to the probes (a refusing relay) too often.
    /// </summary>
    public TimeSpan FailedPathHold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the ingress checks ack progress.</summary>
    public TimeSpan WatchdogInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// The egress acknowledges at least every this many bytes, and at once when the sender has nothing more
    /// queued; far below <see cref="MaxUnacknowledgedBytes"/> so the sender's window keeps moving.
    /// </summary>
    public long AckBatchBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// Bytes of a flow its subscriber may leave unread before the egress asks the ingress to hold (it resumes once
    /// half is read): what a subscriber that stops reading pins here is this, plus what was in flight (at most
    /// <see cref="MaxUnacknowledgedBytes"/>), and its sender waits.
    /// </summary>
    public long EgressHoldBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long a subscriber may hold its flow's sender back (<see cref="EgressHoldBytes"/> unread) before the flow is ended, for good, and its sender told why.</summary>
    public TimeSpan SlowSubscriberTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Flows arriving for an endpoint may wait for a subscriber to take them (one may subscribe a moment later), up to
    /// this many at once; past it a new flow to that endpoint is refused, for good, saying so.
    /// </summary>
    public int MaxUntakenFlowsPerEndpoint { get; init; } = 64;

    /// <summary>Bytes a flow may have unacknowledged before its writer waits.</summary>
    public long MaxUnacknowledgedBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Chunk payload: a data frame with its framing and the stream header still fits one 16 KiB TLS record.</summary>
    public int MaxChunkBytes { get; init; } = (16 * 1024) - 64;

    /// <summary>
    /// How long a draining relay lets the flows its media engines opened here run on before it lets them go: their
    /// engines' connections close, and each engine resumes its flow at a sibling relay of the room from the last
    /// end-to-end ack (the TCP gateway's connections end instead: a gateway client cannot resume).
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>When rising load takes a draining relay back into service.</summary>
    public Msdn.Overlay.Lifecycle.DrainPolicy Drain { get; init; } = new();
}
