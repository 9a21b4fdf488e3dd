using Msdn.Overlay.Relay;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>A subscriber that stops reading holds its sender back; the relays between keep a bounded amount of its flow.</summary>
public sealed class SlowSubscriberTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly RelayNodeOptions Options = new() { EgressHoldBytes = 1024 * 1024 };
    private RelayMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await RelayMesh.StartAsync(output, Options);

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_subscriber_that_does_not_read_holds_the_writer_back_and_the_egress_keeps_a_bounded_share_then_everything_arrives()
    {
        var sink = _mesh.Relays[RelayMesh.C].Subscribe("slow");
        var flow = await _mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "slow");
        var sent = new byte[64 * 1024 * 1024];
        new Random(5).NextBytes(sent);
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < sent.Length; at += 64 * 1024)
            {
                await flow.WriteAsync(sent.AsMemory(at, 64 * 1024));
            }

            flow.CompleteWriting();
        });
        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // Nobody reads: the egress asks the ingress to hold, and the writer waits once its own window is full.
        await RelayMesh.WaitUntilAsync(() => flow.Sender.Held && flow.Sender.BufferedBytes > Options.MaxUnacknowledgedBytes - Options.MaxChunkBytes, TimeSpan.FromSeconds(20));
        var held = _mesh.Relays[RelayMesh.C].EgressUnreadBytes;
        output.WriteLine($"held at the egress: {held / 1024} KiB; at the ingress: {flow.Sender.BufferedBytes / 1024} KiB; of {sent.Length / 1024} KiB written");
        Assert.False(writing.IsCompleted);
        Assert.InRange(held, Options.EgressHoldBytes, Options.EgressHoldBytes + Options.MaxUnacknowledgedBytes);
        Assert.Equal(0, flow.Failovers); // a subscriber behind is not a broken path

        // It reads: the ingress goes on, and every byte arrives, in order, once.
        var received = await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await writing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(sent, received);
        Assert.Equal(0, flow.Failovers);
    }
}
