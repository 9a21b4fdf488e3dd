using System.Net.Http.Json;
using System.Security.Cryptography;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;
using Xunit.Abstractions;

namespace Msdn.Integration.Tests;

/// <summary>
/// A room of two relays, both joining through the controller with the room's credential: every peer learns both
/// from the directory and trusts both, the controller shows both, each flow to an endpoint arrives at the relay the
/// product's choice gives that endpoint, and when one relay stops the room goes on through the other.
/// </summary>
public sealed class RoomClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ControlledOverlay _overlay = null!;

    public async Task InitializeAsync()
    {
        _overlay = await ControlledOverlay.StartAsync(joinThroughController: true, "room-a", "room-b");
        await _overlay.AddNodeAsync("room-c", "room-c/0");
        await _overlay.AddNodeAsync("room-c", "room-c/1");
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task Flows_reach_the_chosen_relay_of_a_room_of_two_and_the_room_outlives_either()
    {
        RoomId c = "room-c";
        var known = await ControlledOverlay.WaitUntilAsync(
            () => _overlay.Relay("room-a").PeerNodes(c).Count == 2 && _overlay.Relay("room-b").PeerNodes(c).Count == 2
                && _overlay.Relay("room-a").Routes!.Current is { } t && t.Contains("room-c") && t.Find("room-a", "room-c") is not null,
            TimeSpan.FromSeconds(30));
        output.WriteLine($"both relays of room-c in every peer's directory and routes into room-c after {known.TotalMilliseconds:F0} ms");

        // room-c's relays share the measurement of its links: each peer room probed by one of them.
        string[] Probed(string relay) => [.. _overlay.Relay(relay).Probe!.Snapshot().Select(l => l.Peer.Value).Order(StringComparer.Ordinal)];
        await ControlledOverlay.WaitUntilAsync(() => Probed("room-c/0").Concat(Probed("room-c/1")).Order(StringComparer.Ordinal).SequenceEqual(["room-a", "room-b"]), TimeSpan.FromSeconds(10));
        output.WriteLine($"room-c/0 probes [{string.Join(", ", Probed("room-c/0"))}], room-c/1 probes [{string.Join(", ", Probed("room-c/1"))}]; room-a probes [{string.Join(", ", Probed("room-a"))}]");

        using var http = new HttpClient { BaseAddress = new Uri(_overlay.Router.Urls.First()) };
        var shown = (await http.GetFromJsonAsync<RoomSummary[]>("/v1/rooms"))!.Single(r => r.Room == "room-c");
        Assert.Equal(2, shown.Nodes.Count);
        Assert.All(shown.Nodes, n => Assert.Equal("Serving", n.RelayState));

        // Flows to six endpoints: each arrives at the relay of room-c that NodeChoice gives its endpoint.
        var nodes = _overlay.Relay("room-a").PeerNodes(c);
        var relays = new[] { _overlay.Relay("room-c/0").Node!, _overlay.Relay("room-c/1").Node! };
        var arrivals = new Dictionary<string, int>();
        for (var i = 0; i < 6; i++)
        {
            var endpoint = $"engine-{i}";
            var chosen = NodeChoice.Order(endpoint, nodes, n => n.ToString()!)[0].ToString();
            var relay = Assert.Single(relays, r => r.NodeName == chosen);
            arrivals[relay.NodeName] = arrivals.GetValueOrDefault(relay.NodeName) + 1;
            await CarryAsync(relay, endpoint);
        }

        output.WriteLine($"six endpoints over room-c's relays: {string.Join(", ", arrivals.Select(a => $"{a.Key} {a.Value}"))}");

        // The relay of room-c that room-a probes stops: room-a probes the room at its sibling (its link to room-c is
        // up again within a down detection and a few answers), flows to the sibling's endpoints go on, and the
        // controller sees the stopped relay fall silent.
        var probed = NodeChoice.Order(_overlay.Relay("room-a").Node!.NodeName, nodes, n => n.ToString()!)[0].ToString();
        var stoppedIndex = Array.FindIndex(relays, r => r.NodeName == probed);
        var stopping = _overlay.Relays[$"room-c/{stoppedIndex}"];
        var stoppedAt = relays[stoppedIndex].NodeName;
        var probe = _overlay.Relay("room-a").Probe!;
        var wentDown = new TaskCompletionSource<DateTimeOffset>();
        var cameUp = new TaskCompletionSource<DateTimeOffset>();
        using var watching = probe.Subscribe(change =>
        {
            if (change.To == c && change.State == Msdn.Probe.Detection.LinkState.Down)
            {
                wentDown.TrySetResult(DateTimeOffset.UtcNow);
            }
            else if (change.To == c && wentDown.Task.IsCompleted)
            {
                cameUp.TrySetResult(DateTimeOffset.UtcNow);
            }
        });
        var stoppedTime = DateTimeOffset.UtcNow;
        await stopping.StopAsync();
        var down = await wentDown.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var up = await cameUp.Task.WaitAsync(TimeSpan.FromSeconds(5));
        output.WriteLine($"room-a's link to room-c: down {(down - stoppedTime).TotalMilliseconds:F0} ms after the relay it probed stopped, up again (probed at the sibling) {(up - down).TotalMilliseconds:F0} ms later");
        var survivor = relays[1 - stoppedIndex];
        var endpointOfSurvivor = Enumerable.Range(0, 100).Select(i => $"after-{i}").First(e => NodeChoice.Order(e, nodes, n => n.ToString()!)[0].ToString() == survivor.NodeName);
        await CarryAsync(survivor, endpointOfSurvivor);
        await ControlledOverlay.WaitUntilAsync(
            () => http.GetFromJsonAsync<RoomSummary[]>("/v1/rooms").GetAwaiter().GetResult()!.Single(r => r.Room == "room-c").Nodes.Any(n => n.RelayEndpoint == stoppedAt && n.Liveness != RoomLiveness.Fresh),
            TimeSpan.FromSeconds(15));
    }

    private async Task CarryAsync(Msdn.Overlay.Relay.RelayNode destination, string endpoint)
    {
        var sink = destination.Subscribe(endpoint);
        var flow = await _overlay.Relay("room-a").Node!.OpenFlowAsync(new RoomId("room-c"), endpoint);
        var sent = RandomNumberGenerator.GetBytes(64 * 1024);
        await flow.WriteAsync(sent);
        flow.CompleteWriting();
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(sent, await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15)));
    }
}
