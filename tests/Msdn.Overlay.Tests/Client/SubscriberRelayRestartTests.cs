using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Client;
using Msdn.Overlay.Client;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Tests.Relay;
using Msdn.Tokens;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Client;

/// <summary>
/// A room of one relay whose relay restarts at its address mid-flow: the media engine subscribed there dials it again,
/// the flow's ingress resumes the flow there from its last acknowledgement, and the subscriber gets every byte once, in order.
/// </summary>
public sealed class SubscriberRelayRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly MediaTokens _tokens = new(RandomNumberGenerator.GetBytes(32), TimeProvider.System);
    private RelayMesh _mesh = null!;
    private ClientPort _writerPort = null!;
    private ClientPort _subscriberPort = null!;

    public async Task InitializeAsync()
    {
        _mesh = await RelayMesh.StartAsync(output, new RelayNodeOptions { AckTimeout = TimeSpan.FromSeconds(2) });
        _writerPort = await StartPortAsync(RelayMesh.A, new IPEndPoint(IPAddress.Loopback, 0));
        _subscriberPort = await StartPortAsync(RelayMesh.C, new IPEndPoint(IPAddress.Loopback, 0));
    }

    public async Task DisposeAsync()
    {
        await _subscriberPort.DisposeAsync();
        await _writerPort.DisposeAsync();
        await _mesh.DisposeAsync();
    }

    private async Task<ClientPort> StartPortAsync(Msdn.Graph.Topology.RoomId room, IPEndPoint at)
    {
        var port = new ClientPort(_mesh.Relays[room], _tokens, NullLogger<ClientPort>.Instance);
        await port.StartAsync(at);
        return port;
    }

    private string Token(Msdn.Graph.Topology.RoomId room) => _tokens.Issue(new MediaTokenClaims("engine", room.Value, ["*"], ["*"], TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds()));

    [Fact]
    public async Task A_subscriber_whose_only_relay_restarts_gets_the_rest_of_the_flow_once_and_in_order()
    {
        var at = (IPEndPoint)_subscriberPort.LocalEndPoint;
        await using var subscription = await RelayClient.SubscribeAsync(at, Token(RelayMesh.C), "sink");
        await using var flow = await RelayClient.OpenAsync([_writerPort.LocalEndPoint], Token(RelayMesh.A), RelayMesh.C, "sink");
        var sent = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var incoming = await WriteFirstHalfAsync(flow, subscription, sent);
        var received = new MemoryStream();
        var reading = incoming.CopyToAsync(received);
        await RelayMesh.WaitUntilAsync(() => received.Length > 0, TimeSpan.FromSeconds(10));

        // The room's relay dies and comes back at the same client port (a fresh process: no memory of the flow).
        var restart = Stopwatch.StartNew();
        await _subscriberPort.DisposeAsync();
        await _mesh.KillAsync(RelayMesh.C);
        await _mesh.RestartAsync(RelayMesh.C);
        _subscriberPort = await StartPortAsync(RelayMesh.C, at);

        await flow.WriteAsync(sent.AsMemory(sent.Length / 2));
        await flow.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"relay restarted; the flow completed {restart.Elapsed.TotalSeconds:F1} s later");
        Assert.True(sent.AsSpan().SequenceEqual(received.ToArray()), $"delivered {received.Length} bytes that differ from the {sent.Length} sent");
    }

    private static async Task<IncomingFlow> WriteFirstHalfAsync(ClientFlow flow, ClientSubscription subscription, byte[] sent)
    {
        await flow.WriteAsync(sent.AsMemory(0, sent.Length / 2));
        return await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
