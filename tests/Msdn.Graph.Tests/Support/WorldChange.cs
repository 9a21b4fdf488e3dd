using Msdn.Graph.Topology;

namespace Msdn.Graph.Tests.Support;

/// <summary>A seeded edit of a <see cref="RandomWorld"/>'s links: some RTTs nudged by noise, some moved a lot, some links taken down.</summary>
public sealed record WorldChange(int Seed, double NoiseMs, double MovedFraction, double DownFraction)
{
    public void Apply(List<Link> links)
    {
        var random = new Random(Seed);
        for (var i = 0; i < links.Count; i++)
        {
            var q = links[i].Quality;
            var rtt = q.RttMs + ((random.NextDouble() * 2) - 1) * NoiseMs;
            if (random.NextDouble() < MovedFraction)
            {
                rtt = 1 + (random.NextDouble() * 100);
            }

            var up = q.IsUp && random.NextDouble() >= DownFraction;
            links[i] = links[i] with { Quality = new LinkQuality(Math.Max(0, rtt), q.JitterMs, q.Loss, up, q.MeasuredAt) };
        }
    }

    public override string ToString() => $"WorldChange(seed={Seed}, noise={NoiseMs:F2}ms, moved={MovedFraction:F2}, down={DownFraction:F2})";
}
