using Msdn.Client;
using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>A flow whose ingress relay dies is ended at its egress as cut off, not held open for good.</summary>
public sealed class OrphanFlowTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly RelayNodeOptions Options = new() { OrphanFlowTimeout = TimeSpan.FromSeconds(1), NoRouteGrace = TimeSpan.FromMilliseconds(500) };
    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, Options);

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task The_subscriber_hears_the_flow_was_cut_off_after_every_byte_delivered_and_the_egress_lets_it_go()
    {
        var sink = _mesh.Relays[RelayMesh.C].Subscribe("sink");
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "sink");
        var sent = new byte[200_000];
        new Random(3).NextBytes(sent);
        await flow.WriteAsync(sent);
        await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10)); // all acknowledged: delivered at C
        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, _mesh.Relays[RelayMesh.C].ActiveFlows);

        await _mesh.KillAsync(RelayMesh.A); // the ingress dies without closing the flow

        var received = new MemoryStream();
        var started = TimeProvider.System.GetTimestamp();
        var ended = await Assert.ThrowsAsync<FlowCutOffException>(() => incoming.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine($"cut off after {TimeProvider.System.GetElapsedTime(started).TotalMilliseconds:F0} ms: {ended.Message}");
        Assert.Contains("no path carried it", ended.Message, StringComparison.Ordinal);
        Assert.Equal(sent, received.ToArray());
        Assert.Equal(0, _mesh.Relays[RelayMesh.C].ActiveFlows);
    }
}
