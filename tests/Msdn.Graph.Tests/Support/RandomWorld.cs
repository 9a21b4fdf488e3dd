using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Support;

/// <summary>
/// A small random directed world for property tests: rooms "r0".."rN", each possible link present with
/// some probability, some of them down or lossy. Built from a seed so a failing case replays exactly.
/// </summary>
public sealed record RandomWorld(int Rooms, int Seed, double Density, double DownFraction)
{
    public TopologySnapshot Build() => Build(_ => { });

    public TopologySnapshot Build(Action<List<Link>> edit)
    {
        var random = new Random(Seed);
        var rooms = Enumerable.Range(0, Rooms).Select(i => new RoomId($"r{i}")).ToList();
        var links = new List<Link>();
        foreach (var from in rooms)
        {
            foreach (var to in rooms)
            {
                if (from == to || random.NextDouble() >= Density)
                {
                    continue;
                }

                var quality = new LinkQuality(
                    rttMs: 1 + (random.NextDouble() * 100),
                    jitterMs: random.NextDouble() * 5,
                    loss: random.NextDouble() < 0.2 ? random.NextDouble() * 0.1 : 0,
                    isUp: random.NextDouble() >= DownFraction,
                    measuredAt: DateTimeOffset.UnixEpoch);
                links.Add(new Link(from, to, quality));
            }
        }

        edit(links);
        return TopologySnapshot.Create(rooms, links);
    }

    public override string ToString() => $"RandomWorld(rooms={Rooms}, seed={Seed}, density={Density:F2}, down={DownFraction:F2})";
}
