using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// A flow whose egress relay restarts (a new process, no memory of the flow, its subscriber gone with the old one)
/// cannot go on in order: its sender is told so, for good, instead of resending into a relay that can never deliver.
/// </summary>
public sealed class EgressRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, new RelayNodeOptions());

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_flow_resuming_at_a_restarted_egress_ends_with_the_reason_its_sender_sees()
    {
        var sink = _mesh.Relays[RelayMesh.C].Subscribe("sink");
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "sink");
        await flow.WriteAsync(new byte[100_000]);
        await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10)); // delivered at C: the next path resumes past the start
        _ = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        await _mesh.KillAsync(RelayMesh.C);
        await _mesh.RestartAsync(RelayMesh.C); // a fresh relay for the room, on a new port
        _mesh.Relays[RelayMesh.C].Subscribe("sink"); // even a subscriber there now cannot take the flow's middle

        var writing = flow.WriteAsync(new byte[100_000]).AsTask();
        var flushing = flow.FlushAsync();
        var ended = await Assert.ThrowsAsync<FlowEndedException>(() => flow.Completion.WaitAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine(ended.Message);
        Assert.Contains("holds nothing of this flow", ended.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(writing, flushing).WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
