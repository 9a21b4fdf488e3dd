namespace Msdn.Sim.Drills;

/// <summary>A flow ran on <paramref name="Path"/> from <paramref name="From"/> to <paramref name="To"/> (drill seconds).</summary>
public sealed record PathUse(double From, double To, IReadOnlyList<string> Path);
