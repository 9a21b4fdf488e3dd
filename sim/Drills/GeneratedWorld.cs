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
        if (spec.WonderProxy is { } directory)
        {
            return FromWonderProxy(Msdn.Sim.WonderProxy.WonderProxyDataset.Load(directory));
        }

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

    /// <summary>
    /// The measured world: WonderProxy's servers as rooms (room-0.. in the order of their ids), placed by
    /// longitude and latitude, regions by continent, and the measured mean RTT of every pair. Pairs never
    /// measured get an RTT no probe waits for (the link never comes up).
    /// </summary>
    public static GeneratedWorld FromWonderProxy(Msdn.Sim.WonderProxy.WonderProxyDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var rooms = dataset.Topology.Rooms.OrderBy(r => int.Parse(r.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var index = rooms.Select((r, i) => (r, i)).ToDictionary(p => p.r, p => p.i);
        var continents = rooms.Select(r => dataset.Places[r].Continent).Distinct().Order().ToList();
        var places = rooms.Select(r => (dataset.Places[r].Longitude, dataset.Places[r].Latitude, continents.IndexOf(dataset.Places[r].Continent))).ToList();
        var rtt = new double[rooms.Count, rooms.Count];
        for (var i = 0; i < rooms.Count; i++)
        {
            for (var j = 0; j < rooms.Count; j++)
            {
                rtt[i, j] = i == j ? 0 : Unmeasured;
            }
        }

        foreach (var link in dataset.Topology.Links)
        {
            rtt[index[link.From], index[link.To]] = Math.Max(0.1, link.Quality.RttMs);
        }

        return new GeneratedWorld(places, rtt);
    }

    /// <summary>The RTT of a pair the data never measured: far beyond any probe timeout.</summary>
    public const double Unmeasured = 100_000;
}
