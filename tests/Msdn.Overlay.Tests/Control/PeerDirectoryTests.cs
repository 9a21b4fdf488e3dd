using System.Net;
using Msdn.Graph.Topology;
using Msdn.Overlay.Control;

namespace Msdn.Overlay.Tests.Control;

/// <summary>The relay's view of its peers: the controller's directory, configuration as the override, kept on disk.</summary>
public sealed class PeerDirectoryTests : IDisposable
{
    private static readonly string FingerprintB = new('B', 64), FingerprintC = new('C', 64);
    private readonly string _dir = Directory.CreateTempSubdirectory("peer-directory-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Peers_join_move_and_leave_with_the_directory_and_configuration_overrides_it()
    {
        var configured = new Dictionary<RoomId, EndPoint?> { ["room-z"] = IPEndPoint.Parse("10.9.9.9:7000") };
        var directory = new PeerDirectory("room-a", configured, _dir);
        var changes = 0;
        directory.Changed += () => changes++;
        Assert.Equal<RoomId>(["room-z"], directory.Peers);

        directory.Apply(new DirectoryAnswerBody(2, true, [Entry("room-a", "10.0.0.1:7000", new string('A', 64)), Entry("room-b", "10.0.0.2:7000", FingerprintB), Entry("room-z", "10.0.0.26:7000", null)], []));
        Assert.Equal<RoomId>(["room-b", "room-z"], directory.Peers.Order());
        Assert.Equal(IPEndPoint.Parse("10.0.0.2:7000"), directory.Resolve("room-b"));
        Assert.Equal(IPEndPoint.Parse("10.9.9.9:7000"), directory.Resolve("room-z")); // configured wins
        Assert.True(directory.Trusts(FingerprintB));
        Assert.False(directory.Trusts(new string('A', 64)), "this relay's own entry is not a peer");

        // room-c joins, room-b re-keys and moves, then leaves.
        directory.Apply(new DirectoryAnswerBody(4, false, [Entry("room-c", "10.0.0.3:7000", FingerprintC) with { ProbeEndpoint = "10.0.0.3:9999" }, Entry("room-b", "10.0.0.22:7000", new string('D', 64))], []));
        Assert.Equal(IPEndPoint.Parse("10.0.0.22:7000"), directory.Resolve("room-b"));
        Assert.False(directory.Trusts(FingerprintB), "a re-keyed relay's old certificate is no longer trusted");
        Assert.Equal(IPEndPoint.Parse("10.0.0.3:9999"), directory.ProbeEndpointOf("room-c"));
        Assert.Equal(IPEndPoint.Parse("10.0.0.22:7001"), directory.ProbeEndpointOf("room-b"));
        directory.Apply(new DirectoryAnswerBody(5, false, [], ["room-b"]));
        Assert.Null(directory.Resolve("room-b"));
        Assert.Equal(3, changes);

        // A relay restarted without its controller starts from what it last held.
        var restarted = new PeerDirectory("room-a", configured, _dir);
        restarted.LoadPersisted(out var problem);
        Assert.Null(problem);
        Assert.Equal(5, restarted.Version);
        Assert.Equal<RoomId>(["room-c", "room-z"], restarted.Peers.Order());
        Assert.True(restarted.Trusts(FingerprintC));
    }

    [Fact]
    public void A_room_of_several_relays_is_reached_and_trusted_at_each_of_them()
    {
        var directory = new PeerDirectory("room-a", new Dictionary<RoomId, EndPoint?>(), _dir);
        var nodes = new DirectoryNodeBody[] { new("10.0.0.2:7000", null, FingerprintB, null, "Serving"), new("10.0.0.12:7000", null, FingerprintC, null, "Draining") };
        directory.Apply(new DirectoryAnswerBody(1, true, [Entry("room-b", "10.0.0.2:7000", FingerprintB) with { Nodes = nodes }, Entry("room-d", "10.0.0.4:7000", null)], []));

        Assert.Equal([IPEndPoint.Parse("10.0.0.2:7000")], directory.ResolveAll("room-b")); // the draining one takes no new flow
        Assert.Equal([IPEndPoint.Parse("10.0.0.4:7000")], directory.ResolveAll("room-d")); // a room of one relay
        Assert.Empty(directory.ResolveAll("room-x"));
        Assert.True(directory.Trusts(FingerprintC));
        Assert.True(directory.Registers("room-b", FingerprintC), "each relay of the room presents a certificate of the room");
        Assert.False(directory.Registers("room-d", FingerprintC), "a relay of room-b answering at room-d's address is not room-d's");

        // Once every relay of the room drains, flows still need somewhere to go: all are offered.
        var allLeaving = new DirectoryNodeBody[] { nodes[0] with { RelayState = "Drained" }, nodes[1] };
        directory.Apply(new DirectoryAnswerBody(2, true, [Entry("room-b", "10.0.0.2:7000", FingerprintB) with { Nodes = allLeaving }], []));
        Assert.Equal([IPEndPoint.Parse("10.0.0.2:7000"), IPEndPoint.Parse("10.0.0.12:7000")], directory.ResolveAll("room-b"));
    }

    [Fact]
    public void Each_relay_of_a_room_weighs_by_the_load_band_the_directory_gives_it()
    {
        var directory = new PeerDirectory("room-a", new Dictionary<RoomId, EndPoint?>(), _dir);
        var nodes = new DirectoryNodeBody[] { new("10.0.0.2:7000", null, FingerprintB, null, "Serving"), new("10.0.0.12:7000", null, FingerprintC, null, "Serving", LoadBand: 3) };
        directory.Apply(new DirectoryAnswerBody(1, true, [Entry("room-b", "10.0.0.2:7000", FingerprintB) with { Nodes = nodes }], []));

        Assert.Equal(HeadroomBand.Weight(0), directory.WeightOf(IPEndPoint.Parse("10.0.0.2:7000")));
        Assert.Equal(HeadroomBand.Weight(3), directory.WeightOf(IPEndPoint.Parse("10.0.0.12:7000")));
        Assert.True(directory.WeightOf(IPEndPoint.Parse("10.0.0.12:7000")) < directory.WeightOf(IPEndPoint.Parse("10.0.0.2:7000")));
        Assert.Equal(1.0, directory.WeightOf(IPEndPoint.Parse("10.0.0.99:7000"))); // not listed: weighs as an idle relay

        // As the controller writes it (camelCase JSON).
        var wire = System.Text.Json.JsonSerializer.Deserialize("{\"version\":2,\"full\":true,\"entries\":[{\"room\":\"room-b\",\"relayEndpoint\":\"10.0.0.2:7000\",\"version\":2,\"nodes\":[{\"relayEndpoint\":\"10.0.0.2:7000\",\"relayState\":\"Serving\",\"loadBand\":2},{\"relayEndpoint\":\"10.0.0.12:7000\",\"relayState\":\"Serving\"}]}],\"removed\":[]}"u8, ControlJsonContext.Default.DirectoryAnswerBody)!;
        directory.Apply(wire);
        Assert.Equal(HeadroomBand.Weight(2), directory.WeightOf(IPEndPoint.Parse("10.0.0.2:7000")));
        Assert.Equal(HeadroomBand.Weight(0), directory.WeightOf(IPEndPoint.Parse("10.0.0.12:7000")));
    }

    [Fact]
    public void A_persisted_directory_that_cannot_be_read_is_reported_and_configuration_still_holds()
    {
        File.WriteAllText(Path.Combine(_dir, PeerDirectory.FileName), "{ not json");
        var directory = new PeerDirectory("room-a", new Dictionary<RoomId, EndPoint?> { ["room-b"] = IPEndPoint.Parse("10.0.0.2:7000") }, _dir);
        directory.LoadPersisted(out var problem);
        Assert.NotNull(problem);
        Assert.Equal(0, directory.Version);
        Assert.Equal<RoomId>(["room-b"], directory.Peers);
    }

    private static DirectoryEntryBody Entry(string room, string endpoint, string? fingerprint) => new(room, endpoint, null, fingerprint, 1);
}
