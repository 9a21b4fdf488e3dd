namespace Msdn.Sim.Drills;

/// <summary>
/// Rooms placed in regions on a plane (regions on a circle, rooms scattered around their centre), the
/// RTT of every pair from distance × route inflation, and a seeded share of detours: pairs whose direct
/// path is 1.5–2.5× longer, so a relay in a third room beats it. Deterministic for a seed.
/// </summary>
public sealed class GeneratedWorld
{
    private GeneratedWorld(IReadOnlyList<(double X, double Y, int Region)> places, double[,] rtt)
    {
        Places = places;
        Rtt = rtt;
    }

    public IReadOnlyList<(double X, double Y, int Region)> Places { get; }

    /// <summary>Round-trip milliseconds of the direct path between two rooms (symmetric).</summary>
    public double[,] Rtt { get; }

    public int Rooms => Places.Count;

    public static GeneratedWorld Create(WorldSpec spec, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var random = new Random(seed);
        var places = new List<(double, double, int)>();
        for (var i = 0; i < spec.Rooms; i++)
        {
            var region = i % spec.Regions;
            var angle = 2 * Math.PI * region / spec.Regions;
            var (cx, cy) = spec.Regions == 1 ? (0.0, 0.0) : (40 * Math.Cos(angle), 40 * Math.Sin(angle));
            places.Add((cx + ((random.NextDouble() - 0.5) * 20), cy + ((random.NextDouble() - 0.5) * 20), region));
        }

        var rtt = new double[spec.Rooms, spec.Rooms];
        for (var i = 0; i < spec.Rooms; i++)
        {
            for (var j = i + 1; j < spec.Rooms; j++)
            {
                var distance = Math.Sqrt(Math.Pow(places[i].Item1 - places[j].Item1, 2) + Math.Pow(places[i].Item2 - places[j].Item2, 2));
                var detour = random.NextDouble() < spec.DetourShare ? 1.5 + random.NextDouble() : 1.0;
                rtt[i, j] = rtt[j, i] = Math.Round(Math.Max(2, distance * spec.RouteInflation * detour), 1);
            }
        }

        return new GeneratedWorld(places, rtt);
    }
}
