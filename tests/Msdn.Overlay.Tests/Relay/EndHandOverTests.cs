using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// A flow delivered to a media engine (its acks wait on delivery) is confirmed delivered to its writer only once the
/// engine's connection has its end: a relay that dies between the end's arrival and that leaves the flow to be ended
/// through a sibling, instead of telling the writer "delivered" while the subscriber lacks the tail.
/// </summary>
public sealed class EndHandOverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, new RelayNodeOptions());

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task The_end_is_confirmed_once_the_engine_has_it_not_when_it_arrives()
    {
        var egress = _mesh.Relays[RelayMesh.C];
        var sink = egress.Subscribe("engine");
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "engine");

        // The engine takes the flow as the client port does, as soon as it arrives: its acks wait on delivery from then on.
        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        egress.ConfirmDelivery(incoming);
        await flow.WriteAsync(new byte[64 * 1024]);
        flow.CompleteWriting();
        Assert.Equal(64 * 1024, (await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10))).Length);

        // The end arrived at the egress (the data completed), but the engine's connection has not taken it yet.
        var confirmed = await Task.WhenAny(flow.Completion, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.NotSame(flow.Completion, confirmed);

        egress.HandedOver(incoming);
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
