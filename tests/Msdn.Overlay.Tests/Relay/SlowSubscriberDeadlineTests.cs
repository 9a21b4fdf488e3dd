using Msdn.Client;
using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>A subscriber that holds its sender back past the deadline: the flow ends, and both ends are told why.</summary>
public sealed class SlowSubscriberDeadlineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly RelayNodeOptions Options = new() { EgressHoldBytes = 1024 * 1024, SlowSubscriberTimeout = TimeSpan.FromSeconds(1) };
    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, Options);

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task The_writer_hears_its_subscriber_stopped_reading_and_the_subscriber_that_its_flow_was_cut_off()
    {
        var sink = _mesh.Relays[RelayMesh.C].Subscribe("stuck");
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "stuck");
        var chunk = new byte[64 * 1024];
        var written = 0L;
        var writing = Task.Run(async () =>
        {
            while (true)
            {
                await flow.WriteAsync(chunk);
                written += chunk.Length;
            }
        });
        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // Nobody reads: held, then ended after the deadline. The blocked writer is released with the reason.
        var refused = await Assert.ThrowsAsync<IOException>(() => writing.WaitAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine($"writer, after {written / 1024} KiB: {refused.Message}");
        Assert.Contains("stayed over 1024 KiB behind for 1 s", refused.Message, StringComparison.Ordinal);
        Assert.IsType<FlowEndedException>(await Record.ExceptionAsync(() => flow.Completion));
        Assert.Equal(0, flow.Failovers); // ended, not failed over

        // The subscriber gets what was held, then hears the flow was cut off; the egress keeps nothing of it.
        var cut = await Assert.ThrowsAsync<FlowCutOffException>(() => incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("behind", cut.Message, StringComparison.Ordinal);
        await RelayMesh.WaitUntilAsync(() => _mesh.Relays[RelayMesh.C].ActiveFlows == 0, TimeSpan.FromSeconds(5));
        Assert.Equal(0, _mesh.Relays[RelayMesh.C].EgressUnreadBytes);
    }
}
