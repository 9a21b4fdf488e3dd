using System.Net.Http.Json;
using System.Security.Cryptography;
using Msdn.Graph.Topology;
using Msdn.Overlay.Lifecycle;
using Msdn.Router.Rooms;
using Xunit.Abstractions;

namespace Msdn.Integration.Tests;

/// <summary>
/// A relay measures its load against its configured capacity and reports it; the controller shows it in
/// <c>/v1/rooms</c> and answers each report with the room's load, which takes a draining relay back into service
/// when the room is busy, and leaves it draining when it is not.
/// </summary>
public sealed class RoomLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ControlledOverlay _overlay = null!;

    public async Task InitializeAsync()
    {
        _overlay = await ControlledOverlay.StartAsync(joinThroughController: true, "room-a", "room-b");
        await _overlay.AddRelayAsync("room-c", "--Relay:Capacity:Flows=2");
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task Reported_load_shows_in_the_rooms_and_a_busy_room_takes_its_draining_relay_back_while_an_idle_one_lets_it_drain()
    {
        await ControlledOverlay.WaitUntilAsync(() => _overlay.Relay("room-a").Routes!.Current is { } t && t.Contains("room-a") && t.Contains("room-c") && t.Find("room-a", "room-c") is not null, TimeSpan.FromSeconds(30));

        // Two flows held open into room-c: its two flows' capacity is full.
        var sink = _overlay.Relay("room-c").Node!.Subscribe("sink");
        var flows = new List<Msdn.Overlay.Relay.RelayFlow>();
        for (var i = 0; i < 2; i++)
        {
            var flow = await _overlay.Relay("room-a").Node!.OpenFlowAsync(new RoomId("room-c"), "sink");
            await flow.WriteAsync(RandomNumberGenerator.GetBytes(4096));
            await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(15));
            flows.Add(flow);
        }

        using var http = new HttpClient { BaseAddress = new Uri(_overlay.Router.Urls.First()) };
        RoomSummary? shown = null;
        await ControlledOverlay.WaitUntilAsync(() => (shown = RoomC(http))?.Load is { Flows: 2 }, TimeSpan.FromSeconds(10));
        output.WriteLine($"room-c as /v1/rooms shows it: {shown!.Load}");
        Assert.True(shown.Load!.Utilization >= 1, $"two flows of a capacity of two are a full relay, reported {shown.Load.Utilization}");
        Assert.True(shown.Load.BytesInPerSecond >= 0 && shown.Load.MemoryBytes > 0);

        // Drained while full: the room's load in the controller's next answer takes it back into service.
        var relay = _overlay.Relay("room-c").Node!;
        var states = new List<RelayState>();
        relay.StateChanged += state => { lock (states) { states.Add(state); } };
        relay.Drain();
        var back = await ControlledOverlay.WaitUntilAsync(() => { lock (states) { return states.Contains(RelayState.Draining) && relay.State == RelayState.Serving; } }, TimeSpan.FromSeconds(10));
        output.WriteLine($"draining at full load: back to serving after {back.TotalMilliseconds:F0} ms");

        // The flows end; the room is idle; drained now, it stays drained through the reports that follow.
        foreach (var flow in flows)
        {
            flow.CompleteWriting();
            await flow.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        }

        await ControlledOverlay.WaitUntilAsync(() => relay.ActiveFlows == 0, TimeSpan.FromSeconds(15));
        relay.Drain();
        Assert.Equal(RelayState.Drained, relay.State);
        var drainedAt = RoomC(http)!.LastReportAt;
        await ControlledOverlay.WaitUntilAsync(() => RoomC(http) is { } now && now.LastReportAt > drainedAt && now.RelayState == "Drained" && now.Load is { Flows: 0 }, TimeSpan.FromSeconds(10));
        var later = RoomC(http)!.LastReportAt;
        await ControlledOverlay.WaitUntilAsync(() => RoomC(http)!.LastReportAt > later, TimeSpan.FromSeconds(10));
        Assert.Equal(RelayState.Drained, relay.State);
        _ = sink;
    }

    private static RoomSummary? RoomC(HttpClient http) =>
        http.GetFromJsonAsync<RoomSummary[]>("/v1/rooms").GetAwaiter().GetResult()!.SingleOrDefault(r => r.Room == "room-c");
}
