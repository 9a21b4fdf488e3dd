using Msdn.Graph.Topology;
using Msdn.Sim.WonderProxy;

namespace Msdn.Sim.Tests.WonderProxy;

public sealed class WonderProxyDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wonderproxy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Rooms_are_listed_servers_that_appear_in_the_pings_and_links_are_their_rows()
    {
        Write(
            "id,name,title,location,state,country,state_abbv,continent,latitude,longitude,selected,,,11\n" +
            "1,Melbourne,Melbourne,Melbourne,Victoria,Australia,VIC,4,-37.7833,144.9667,1,,,\n" +
            "2,Toronto,Toronto,Toronto,Ontario,Canada,ON,1,43.6481,-79.4042,1,,,\n" +
            "3,Oslo,Oslo,Oslo,,Norway,,3,59.9,10.7,1,,,\n" +
            "9,Nowhere,Nowhere,Nowhere,,Nowhere,,3,0,0,1,,,\n",
            "source,destination,min,avg,max,mdev\n" +
            "1,1,0.01,0.02,0.1,0.01\n" +     // self-ping: dropped
            "1,2,190,200.5,210,1.5\n" +
            "2,1,191,201.25,212,2.0\n" +
            "2,3,90,95,99,0.75\n" +
            "1,292,10,11,12,0.1\n");          // 292 has no server row: dropped
        var dataset = WonderProxyDataset.Load(_dir);
        Assert.Equal(["1", "2", "3"], dataset.Topology.Rooms.Select(r => r.Value).ToArray());
        Assert.Equal(3, dataset.Topology.Links.Length);
        var link = dataset.Topology.Links.Single(l => l.From == new RoomId("2") && l.To == new RoomId("3"));
        Assert.Equal(95, link.Quality.RttMs);
        Assert.Equal(0.75, link.Quality.JitterMs);
        Assert.Equal(0, link.Quality.Loss);
        Assert.Equal("Toronto", dataset.Names[new RoomId("2")]);
    }

    [Fact]
    public void A_malformed_line_is_reported_with_file_and_line()
    {
        Write("id,name\n1,A\n2,B\n", "source,destination,min,avg,max,mdev\n1,2,1,2,3,0.1\n2,1,one,two,three,four\n");
        var error = Assert.Throws<WonderProxyFormatException>(() => WonderProxyDataset.Load(_dir));
        Assert.Equal(3, error.Line);
        Assert.EndsWith(WonderProxyDataset.PingsFile, error.File, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_rtt_is_a_typed_error_naming_the_line()
    {
        Write("id,name\n1,A\n2,B\n", "source,destination,min,avg,max,mdev\n1,2,1,-2,3,0.1\n");
        var error = Assert.Throws<WonderProxyFormatException>(() => WonderProxyDataset.Load(_dir));
        Assert.Equal(2, error.Line);
        Assert.Contains("RttMs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_directory_names_the_file_it_looked_for()
    {
        var error = Assert.Throws<WonderProxyFormatException>(() => WonderProxyDataset.Load(Path.Combine(_dir, "absent")));
        Assert.Contains(WonderProxyDataset.ServersFile, error.Message, StringComparison.Ordinal);
    }

    private void Write(string servers, string pings)
    {
        File.WriteAllText(Path.Combine(_dir, WonderProxyDataset.ServersFile), servers);
        File.WriteAllText(Path.Combine(_dir, WonderProxyDataset.PingsFile), pings);
    }
}
