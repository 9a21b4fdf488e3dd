using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>Flows to an endpoint nobody subscribes to wait for one, but neither for good nor without bound.</summary>
public sealed class UntakenFlowTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly RelayNodeOptions Options = new() { SlowSubscriberTimeout = TimeSpan.FromSeconds(1), MaxUntakenFlowsPerEndpoint = 2 };
    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, Options);

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task An_open_flow_nobody_takes_is_ended_and_its_bytes_let_go()
    {
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "nobody");
        await flow.WriteAsync(new byte[100_000]);
        await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10)); // taken in by room-c's relay, waiting for a subscriber

        var ended = await Assert.ThrowsAsync<FlowEndedException>(() => flow.Completion.WaitAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine(ended.Message);
        Assert.Contains("nobody subscribed to nobody took it for 1 s", ended.Message, StringComparison.Ordinal);
        await RelayMesh.WaitUntilAsync(() => _mesh.Relays[RelayMesh.C].ActiveFlows == 0, TimeSpan.FromSeconds(5));
        Assert.Equal(0, _mesh.Relays[RelayMesh.C].EgressUnreadBytes);
    }

    [Fact]
    public async Task Finished_flows_wait_for_a_subscriber_up_to_the_bound_and_past_it_the_sender_is_told()
    {
        var sent = new List<byte[]>();
        for (var i = 0; i < 2; i++)
        {
            var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "queue");
            var bytes = new byte[10_000 + i];
            new Random(i).NextBytes(bytes);
            await flow.WriteAsync(bytes);
            flow.CompleteWriting();
            await flow.Completion.WaitAsync(TimeSpan.FromSeconds(10)); // delivered to the relay, for whoever subscribes
            sent.Add(bytes);
        }

        var third = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "queue");
        await third.WriteAsync(new byte[10]);
        var refused = await Assert.ThrowsAsync<FlowEndedException>(() => third.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("2 flows already wait at room-c for a subscriber of queue", refused.Message, StringComparison.Ordinal);

        // A subscriber comes: it takes both, whole, and the endpoint takes flows again.
        var sink = _mesh.Relays[RelayMesh.C].Subscribe("queue");
        foreach (var expected in sent)
        {
            Assert.Equal(expected, await RelayMesh.ReceiveAsync(sink).WaitAsync(TimeSpan.FromSeconds(10)));
        }

        var fourth = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "queue");
        await fourth.WriteAsync(new byte[] { 4 });
        fourth.CompleteWriting();
        Assert.Equal(new byte[] { 4 }, await RelayMesh.ReceiveAsync(sink).WaitAsync(TimeSpan.FromSeconds(10)));
        await fourth.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
