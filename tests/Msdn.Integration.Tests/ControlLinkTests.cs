using Msdn.Graph.Topology;
using Msdn.Probe.Transport;
using Xunit.Abstractions;

namespace Msdn.Integration.Tests;

/// <summary>Relays report, the controller computes, the tables come back — and keep coming when links fail.</summary>
public sealed class ControlLinkTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ControlledOverlay _overlay = null!;

    public async Task InitializeAsync() => _overlay = await ControlledOverlay.StartAsync("room-a", "room-b", "room-c");

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task Relays_get_routes_a_cut_link_changes_them_within_a_second_and_a_cut_control_link_goes_through_a_peer()
    {
        // Every relay reports and receives a table over all three rooms.
        await ControlledOverlay.WaitUntilAsync(() => new[] { "room-a", "room-b", "room-c" }.All(r => _overlay.Relay(r).Routes!.Current.Rooms.Length == 3 && _overlay.Relay(r).Routes!.Current.Find(r, r == "room-a" ? "room-b" : "room-a") is not null), TimeSpan.FromSeconds(30));
        // Direct (a slow first exchange on a loaded machine may go through a peer for a moment; it comes back).
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Controller!.Status.Via == "direct", TimeSpan.FromSeconds(15));
        // The first table may predate a>b coming up (three answers): a→b then goes through room-c until the next table.
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Routes!.Current.Find("room-a", "room-b")!.Primary.SequenceEqual<RoomId>(["room-a", "room-b"]), TimeSpan.FromSeconds(10));

        // A cut in the impairment layer: the probe declares it down, the controller recomputes, room-a's table avoids the link.
        _overlay.Relay("room-a").Impair("room-b", LinkImpairment.Severed);
        var took = await ControlledOverlay.WaitUntilAsync(() => !_overlay.Relay("room-a").Routes!.Current.Find("room-a", "room-b")!.Primary.SequenceEqual<RoomId>(["room-a", "room-b"]), TimeSpan.FromSeconds(10));
        output.WriteLine($"cut → room-a holds a table avoiding a>b: {took.TotalMilliseconds:F0} ms (probe detection + report + recompute + long-poll)");
        Assert.Equal<RoomId>(["room-a", "room-c", "room-b"], _overlay.Relay("room-a").Routes!.Current.Find("room-a", "room-b")!.Primary);
        // Restored, the link is up again.
        _overlay.Relay("room-a").Impair("room-b", ControlledOverlay.Distance);
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Probe!.Snapshot().Single(l => l.Peer == "room-b").State == Msdn.Probe.Detection.LinkState.Up, TimeSpan.FromSeconds(10));

        // room-a's direct control connection goes silent: it reaches the controller through a peer relay.
        _overlay.ControlProxy.Cut();
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Controller!.Status.Via.StartsWith("via ", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        output.WriteLine($"control link: {_overlay.Relay("room-a").Controller!.Status.Via}");

        // ...and still reports and gets new tables that way (its own row: a relay without flows is sent only that).
        _overlay.Relay("room-a").Impair("room-c", LinkImpairment.Severed);
        var viaPeer = await ControlledOverlay.WaitUntilAsync(() => !_overlay.Relay("room-a").Routes!.Current.Find("room-a", "room-c")!.Primary.SequenceEqual<RoomId>(["room-a", "room-c"]), TimeSpan.FromSeconds(15));
        output.WriteLine($"a>c cut → room-a holds the new table through its peer: {viaPeer.TotalMilliseconds:F0} ms");

        // The direct link recovers: back to direct.
        _overlay.ControlProxy.Restore();
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Controller!.Status.Via == "direct", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_flow_to_a_room_not_asked_for_brings_the_routes_into_it_at_once_not_when_the_long_poll_ends()
    {
        var a = _overlay.Relay("room-a");
        await ControlledOverlay.WaitUntilAsync(() => new[] { "room-a", "room-b", "room-c" }.All(r => _overlay.Relay(r).Routes!.Current.Rooms.Length == 3), TimeSpan.FromSeconds(30));

        // Without flows room-a holds its own row only: no route from room-b into room-c. Its long-poll waits up to 20 s.
        await ControlledOverlay.WaitUntilAsync(() => a.Routes!.Current.Find("room-a", "room-c") is not null && a.Routes.Current.Find("room-b", "room-c") is null, TimeSpan.FromSeconds(30));

        await _overlay.CarryAsync("room-a", "room-c");
        var took = await ControlledOverlay.WaitUntilAsync(() => a.Routes!.Current.Find("room-b", "room-c") is not null, TimeSpan.FromSeconds(5));
        output.WriteLine($"a flow to room-c → room-a holds the routes into room-c from everywhere: {took.TotalMilliseconds:F0} ms after the flow completed");
        Assert.Equal("direct", a.Controller!.Status.Via); // cutting the poll short is not a failure of the control link
    }
}
