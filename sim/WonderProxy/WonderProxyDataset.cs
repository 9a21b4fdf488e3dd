using System.Globalization;
using Msdn.Graph.Topology;

namespace Msdn.Sim.WonderProxy;

/// <summary>
/// WonderProxy's all-pairs ping matrix (19–20 July 2020, "A day in the life of the Internet") as a
/// topology: rooms are the servers listed in the servers file that appear in the pings; links are the
/// directed ping rows between two such rooms, with avg as RTT, mdev as jitter and no loss (the data
/// has no loss column). Missing rows are missing links. Data © WonderProxy; read from where it lies.
/// </summary>
public sealed class WonderProxyDataset
{
    public const string ServersFile = "servers-2020-07-19.csv";
    public const string PingsFile = "pings-2020-07-19-2020-07-20-grouped.csv";

    private WonderProxyDataset(IReadOnlyDictionary<RoomId, string> names, IReadOnlyDictionary<RoomId, (double Latitude, double Longitude, int Continent)> places, TopologySnapshot topology)
    {
        Names = names;
        Places = places;
        Topology = topology;
    }

    /// <summary>Where each room's server is (WonderProxy's continent numbers: 1 North America, 2 South America, 3 Europe, 4 Oceania, 5 Asia, ...).</summary>
    public IReadOnlyDictionary<RoomId, (double Latitude, double Longitude, int Continent)> Places { get; }

    /// <summary>Server id → city name, for the rooms in the topology.</summary>
    public IReadOnlyDictionary<RoomId, string> Names { get; }

    public TopologySnapshot Topology { get; }

    public static WonderProxyDataset Load(string directory)
    {
        var serversPath = Path.Combine(directory, ServersFile);
        var pingsPath = Path.Combine(directory, PingsFile);
        var servers = ReadServers(serversPath);
        var rows = ReadPings(pingsPath);
        var present = new HashSet<RoomId>();
        var links = new List<Link>();
        foreach (var (source, destination, avg, mdev, line) in rows)
        {
            if (source == destination || !servers.ContainsKey(source) || !servers.ContainsKey(destination))
            {
                continue; // self-pings, and ids with no server row (292–295)
            }

            present.Add(source);
            present.Add(destination);
            try
            {
                links.Add(new Link(source, destination, new LinkQuality(avg, mdev, 0, true, DateTimeOffset.UnixEpoch)));
            }
            catch (TopologyException e)
            {
                throw new WonderProxyFormatException(pingsPath, line, e.Message);
            }
        }

        try
        {
            var topology = TopologySnapshot.Create(present, links);
            return new WonderProxyDataset(present.ToDictionary(id => id, id => servers[id].Name), present.ToDictionary(id => id, id => servers[id].Place), topology);
        }
        catch (InvalidLinkException e)
        {
            throw new WonderProxyFormatException(pingsPath, 0, e.Message);
        }
    }

    private static Dictionary<RoomId, (string Name, (double, double, int) Place)> ReadServers(string path)
    {
        var servers = new Dictionary<RoomId, (string, (double, double, int))>();
        var lineNumber = 0;
        foreach (var line in ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1 || line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length < 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                throw new WonderProxyFormatException(path, lineNumber, $"expected 'id,name,...', got '{line}'");
            }

            // continent, latitude, longitude (fields 7–9); a row without them still names its server.
            var place = fields.Length > 9
                && int.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var continent)
                && double.TryParse(fields[8], NumberStyles.Float, CultureInfo.InvariantCulture, out var latitude)
                && double.TryParse(fields[9], NumberStyles.Float, CultureInfo.InvariantCulture, out var longitude)
                ? (latitude, longitude, continent)
                : (0.0, 0.0, 0);
            servers[new RoomId(fields[0])] = (fields[1], place);
        }

        return servers;
    }

    private static List<(RoomId Source, RoomId Destination, double Avg, double Mdev, int Line)> ReadPings(string path)
    {
        var rows = new List<(RoomId, RoomId, double, double, int)>();
        var lineNumber = 0;
        foreach (var line in ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1 || line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length != 6
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                || !double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var avg)
                || !double.TryParse(fields[5], NumberStyles.Float, CultureInfo.InvariantCulture, out var mdev))
            {
                throw new WonderProxyFormatException(path, lineNumber, $"expected 'source,destination,min,avg,max,mdev', got '{line}'");
            }

            rows.Add((new RoomId(fields[0]), new RoomId(fields[1]), avg, mdev, lineNumber));
        }

        return rows;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            throw new WonderProxyFormatException(path, 0, "file not found (point --wonderproxy at the directory holding the WonderProxy CSV files)");
        }

        return File.ReadLines(path);
    }
}
