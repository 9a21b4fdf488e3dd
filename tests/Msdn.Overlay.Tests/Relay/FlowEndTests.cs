using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>A flow's end goes to the egress as soon as everything written is acknowledged, not at the ingress's next watchdog tick.</summary>
public sealed class FlowEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Far longer than the test waits: an end that waited for a tick would not be confirmed in time.</summary>
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(30);

    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, new RelayNodeOptions { WatchdogInterval = Watchdog });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task The_end_is_sent_once_everything_is_acknowledged_without_waiting_for_the_watchdog()
    {
        var sink = _mesh.Relays[RelayMesh.C].Subscribe("end");
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "end");
        await flow.WriteAsync(new byte[256 * 1024]);
        flow.CompleteWriting();

        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(256 * 1024, (await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10))).Length);
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(10)); // the egress confirmed the end, well before a 30 s tick
    }
}
