using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Msdn.Graph.Topology;
using Msdn.Overlay.Security;
using Msdn.Tokens;
using Xunit.Abstractions;

namespace Msdn.Integration.Tests;

/// <summary>
/// Identity from the centre: relays that join through the controller present certificates its cluster CA
/// signed for their room, and renew them (here every few seconds) while a flow crosses them, without the flow
/// failing over, a peer refusing a handshake, or a connection outliving trust being cut for its old certificate.
/// </summary>
public sealed class CertificateRenewalTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Rooms = ["room-a", "room-b", "room-c"];

    /// <summary>Relays renew at two thirds of it: a few seconds into the test.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(9);

    private ControlledOverlay _overlay = null!;

    public async Task InitializeAsync() => _overlay = await ControlledOverlay.StartAsync(joinThroughController: true, Lifetime, Rooms);

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task Relays_present_certificates_the_cluster_CA_signed_and_renew_them_under_a_live_flow_without_dropping_it()
    {
        await ControlledOverlay.WaitUntilAsync(() => Rooms.All(r => _overlay.Relay(r).Routes!.Current is { } t && t.Rooms.Length == 3 && Rooms.Where(p => p != r).All(p => t.Find(r, p) is not null)), TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri(_overlay.Router.Urls.First()) };
        using var ca = X509Certificate2.CreateFromPem(await http.GetStringAsync(new Uri("/v1/ca", UriKind.Relative)));
        var first = Rooms.ToDictionary(r => r, r => X509CertificateLoader.LoadCertificate(_overlay.Relay(r).Identity!.Certificate.RawData));
        foreach (var room in Rooms)
        {
            Assert.Equal(room, RelayCertificateNames.RoomOf(first[room]));
            Assert.Equal(ca.Subject, first[room].Issuer);
        }

        var refusedBefore = Rooms.Sum(r => _overlay.Relay(r).PeersRefused);
        var sink = _overlay.Relay("room-c").Node!.Subscribe("sink");
        var flow = await _overlay.Relay("room-a").Node!.OpenFlowAsync(new RoomId("room-c"), "sink");
        using var sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long sentBytes = 0;
        var receiving = ReceiveAsync(sink);

        // Stream until every relay has renewed and every first certificate has expired; then a newcomer joins,
        // so every relay checks its connections' trust again with their first certificates expired.
        var renewed = ControlledOverlay.WaitUntilAsync(() => Rooms.All(r => _overlay.Relay(r).Fingerprint != RelayCertificates.Fingerprint(first[r])), TimeSpan.FromSeconds(30));
        var expiry = first.Values.Max(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()));
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(10)); // a media-like rate, not as fast as loopback goes
        while (!renewed.IsCompleted || TimeProvider.System.GetUtcNow() < expiry.AddSeconds(1))
        {
            sentBytes += await SendAsync(flow, sentHash);
            await pace.WaitForNextTickAsync();
        }

        await renewed;
        output.WriteLine($"every relay renewed under the flow; {sentBytes / 1024} KiB sent by the first certificates' expiry");
        await _overlay.AddRelayAsync("room-d");
        await ControlledOverlay.WaitUntilAsync(() => Rooms.All(r => _overlay.Relay(r).KnownPeers == 3), TimeSpan.FromSeconds(15));
        for (var i = 0; i < 20; i++)
        {
            sentBytes += await SendAsync(flow, sentHash);
        }

        flow.CompleteWriting();
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        var (receivedBytes, receivedHash) = await receiving.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(sentBytes, receivedBytes);
        Assert.Equal(sentHash.GetHashAndReset(), receivedHash);
        Assert.Equal(0, flow.Failovers);
        Assert.Equal(refusedBefore, Rooms.Sum(r => _overlay.Relay(r).PeersRefused));

        // New handshakes, both ways, present the renewed certificates.
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-d").Routes!.Current is { } t && t.Contains("room-a") && t.Contains("room-d") && t.Find("room-d", "room-a") is not null, TimeSpan.FromSeconds(15));
        await _overlay.CarryAsync("room-d", "room-a");
        await _overlay.CarryAsync("room-a", "room-d");
        output.WriteLine($"{sentBytes / 1024} KiB crossed two renewals of every relay with 0 failovers; room-d then carried both ways");
        foreach (var certificate in first.Values)
        {
            certificate.Dispose();
        }
    }

    private static async Task<int> SendAsync(Msdn.Overlay.Relay.RelayFlow flow, IncrementalHash hash)
    {
        var chunk = RandomNumberGenerator.GetBytes(16 * 1024);
        hash.AppendData(chunk);
        await flow.WriteAsync(chunk);
        await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10)); // paced by the far end's acknowledgements
        return chunk.Length;
    }

    private static async Task<(long Bytes, byte[] Hash)> ReceiveAsync(System.Threading.Channels.ChannelReader<Msdn.Client.IncomingFlow> sink)
    {
        var incoming = await sink.ReadAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        await foreach (var piece in incoming.Data.ReadAllAsync())
        {
            hash.AppendData(piece.Span);
            bytes += piece.Length;
        }

        return (bytes, hash.GetHashAndReset());
    }
}
