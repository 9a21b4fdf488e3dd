namespace Msdn.Sim.Tests.Support;

/// <summary>
/// Drills that start a real controller and real relay processes run alone, after the rest of this assembly:
/// their probes measure real round trips, and the virtual drills' busy cores beside them skewed those
/// enough to move the flows' routes (a kill found no flow crossing a transit room to hit).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealProcessDrills
{
    public const string Name = "real-process drills";
}
