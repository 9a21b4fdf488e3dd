using Msdn.Graph.Topology;

namespace Msdn.Benchmarks.Routing;

/// <summary>
/// A seeded full mesh shaped like the real internet: rooms scattered over the globe, RTT from
/// great-circle distance times a route-inflation factor, and a share of links with detours that break
/// the triangle inequality (so many best paths are not the direct link).
/// </summary>
public static class FullMeshWorld
{
    public static TopologySnapshot Create(int rooms, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, rooms).Select(i => new RoomId($"room-{i:D4}")).ToArray();
        var lat = new double[rooms];
        var lon = new double[rooms];
        for (var i = 0; i < rooms; i++)
        {
            lat[i] = (Math.Asin((2 * random.NextDouble()) - 1) * 180 / Math.PI) * 0.8;
            lon[i] = (random.NextDouble() * 360) - 180;
        }

        var links = new List<Link>(rooms * (rooms - 1));
        for (var a = 0; a < rooms; a++)
        {
            for (var b = 0; b < rooms; b++)
            {
                if (a == b)
                {
                    continue;
                }

                var km = GreatCircleKm(lat[a], lon[a], lat[b], lon[b]);
                var inflation = 1.3 + (random.NextDouble() * 0.5) + (random.NextDouble() < 0.1 ? random.NextDouble() * 2 : 0);
                var rtt = 1 + (2 * km / 200.0 * inflation); // ~200 km per ms in fibre, there and back
                var quality = new LinkQuality(rtt, random.NextDouble() * 3, random.NextDouble() < 0.05 ? random.NextDouble() * 0.05 : 0, true, DateTimeOffset.UnixEpoch);
                links.Add(new Link(ids[a], ids[b], quality));
            }
        }

        return TopologySnapshot.Create(ids, links);
    }

    private static double GreatCircleKm(double lat1, double lon1, double lat2, double lon2)
    {
        const double R = 6371;
        double ToRad(double d) => d * Math.PI / 180;
        var dLat = ToRad(lat2 - lat1);
        var dLon = ToRad(lon2 - lon1);
        var h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(ToRad(lat1)) * Math.Cos(ToRad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }
}
