namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The virtual engine's clock as a <see cref="TimeProvider"/>: timestamps are virtual microseconds, so the
/// product's own logic (a flow's decisions, a relay's memory of lost peers) runs on virtual time.
/// </summary>
internal sealed class VirtualClock(Func<long> nowUs) : TimeProvider
{
    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => nowUs();

    public override DateTimeOffset GetUtcNow() => VirtualController.At(nowUs());
}
