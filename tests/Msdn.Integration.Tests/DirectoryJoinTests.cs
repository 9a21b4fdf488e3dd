using System.Security.Cryptography;
using Msdn.Graph.Topology;
using Xunit.Abstractions;

namespace Msdn.Integration.Tests;

/// <summary>
/// Relays configured with their room, the controller and their credential only (port 0, no peers, no pinned
/// certificates) find each other through the controller's directory, trust each other, get routes and carry
/// flows; a seventh relay that joins later is probed and carried through within seconds, and refused within seconds of its removal.
/// </summary>
public sealed class DirectoryJoinTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Rooms = ["room-a", "room-b", "room-c", "room-d", "room-e", "room-f"];
    private const string Newcomer = "room-g";
    private ControlledOverlay _overlay = null!;

    public async Task InitializeAsync() => _overlay = await ControlledOverlay.StartAsync(joinThroughController: true, Rooms);

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task Relays_that_know_only_the_controller_find_trust_and_carry_each_other_and_a_newcomer_within_seconds()
    {
        var met = await ControlledOverlay.WaitUntilAsync(() => Rooms.All(r => _overlay.Relay(r).Routes!.Current is { } t && t.Rooms.Length == Rooms.Length && Rooms.Where(p => p != r).All(p => t.Find(r, p) is not null)), TimeSpan.FromSeconds(30));
        output.WriteLine($"{Rooms.Length} relays from the controller alone to routes between all: {met.TotalMilliseconds:F0} ms");
        await _overlay.CarryAsync("room-a", "room-c");

        // A seventh relay joins the running overlay.
        var joined = TimeProvider.System.GetTimestamp();
        await _overlay.AddRelayAsync(Newcomer);
        var probed = await ControlledOverlay.WaitUntilAsync(() => Rooms.All(r => _overlay.Relay(r).Probe!.Snapshot().Any(l => l.Peer == Newcomer && l.State == Msdn.Probe.Detection.LinkState.Up)), TimeSpan.FromSeconds(15));
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Routes!.Current is { } t && t.Contains(Newcomer) && t.Find("room-a", Newcomer) is not null, TimeSpan.FromSeconds(15));
        await _overlay.CarryAsync("room-a", Newcomer);
        output.WriteLine($"{Newcomer} joined: every relay probes it up after {probed.TotalMilliseconds:F0} ms, a flow crossed to it {TimeProvider.System.GetElapsedTime(joined).TotalMilliseconds:F0} ms after it started");
        Assert.Empty(_overlay.Relay("room-a").Node!.RefusedPeers);

        // The operator removes the newcomer: its peers forget it and refuse it, the controller refuses its reports.
        using var http = new HttpClient { BaseAddress = new Uri(_overlay.Router.Urls.First()) };
        using var remove = new HttpRequestMessage(HttpMethod.Delete, $"/v1/rooms/{Newcomer}");
        remove.Headers.Authorization = new("Bearer", ControlledOverlay.OperatorToken);
        var removed = TimeProvider.System.GetTimestamp();
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.SendAsync(remove)).StatusCode);
        var forgotten = await ControlledOverlay.WaitUntilAsync(() => Rooms.All(r => _overlay.Relay(r).KnownPeers == Rooms.Length - 1), TimeSpan.FromSeconds(5));
        var refused = await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay(Newcomer).Node!.RefusedPeers.Count == Rooms.Length, TimeSpan.FromSeconds(10));
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay(Newcomer).Controller!.Status.LastError?.Contains("removed by the operator", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        using var admin = new HttpClient { BaseAddress = new Uri(_overlay.Relays["room-a"].Urls.First()) };
        var metrics = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches("msdn_relay_peers_certificates_refused_total\\{[^}]*reason=\"revoked\"", metrics); // the CA's certificate for a room no longer listed
        output.WriteLine($"{Newcomer} removed: every peer forgot it after {forgotten.TotalMilliseconds:F0} ms, and refuses its connections {TimeProvider.System.GetElapsedTime(removed).TotalMilliseconds:F0} ms after the removal");
        await ControlledOverlay.WaitUntilAsync(() => !_overlay.Relay("room-a").Routes!.Current.Rooms.Contains(Newcomer), TimeSpan.FromSeconds(5)); // and the tables drop it
    }
}
