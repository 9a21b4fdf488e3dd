using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Client;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Client;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Tests.Relay;
using Msdn.Tests.Common;
using Msdn.Tokens;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Client;

/// <summary>
/// A media engine writing through room B's two relays (<see cref="RoomNodes"/>: B > C > D) to a subscriber at D, all
/// through real client ports: when its relay dies mid-flow, the flow resumes at the sibling from the last end-to-end
/// ack and the subscriber gets every byte once, in order. Resumptions that are not the engine's to make are refused.
/// </summary>
public abstract class ClientResumeTests(ITestOutputHelper output, string transport) : IAsyncLifetime
{
    private static readonly RoomId B = RoomNodes.B, D = RoomNodes.D;
    private readonly MediaTokens _tokens = new(RandomNumberGenerator.GetBytes(32), TimeProvider.System);
    private readonly Dictionary<RelayNode, ClientPort> _ports = [];
    private RoomNodes _nodes = null!;

    public async Task InitializeAsync()
    {
        if (transport != "quic" || QuicSupport.IsAvailable)
        {
            _nodes = await RoomNodes.StartAsync(output, new RelayNodeOptions { AckTimeout = TimeSpan.FromSeconds(2), DrainTimeout = TimeSpan.FromMilliseconds(300) }, transport);
            foreach (var relay in _nodes.Rooms[B].Concat(_nodes.Rooms[D]))
            {
                var port = new ClientPort(relay, _tokens, NullLogger<ClientPort>.Instance);
                await port.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
                _ports[relay] = port;
            }
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var port in _ports.Values)
        {
            await port.DisposeAsync();
        }

        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
        }
    }

    private IReadOnlyList<EndPoint> RoomB => [.. _nodes.Rooms[B].Select(r => _ports[r].LocalEndPoint)];

    private IReadOnlyList<EndPoint> RoomD => [.. _nodes.Rooms[D].Select(r => _ports[r].LocalEndPoint)];

    private string Token(RoomId room) => _tokens.Issue(new MediaTokenClaims("engine", room.Value, ["*"], ["*"], TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds()));

    [SkippableFact]
    public async Task Killing_the_ingress_relay_mid_flow_loses_duplicates_and_reorders_nothing()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        const string endpoint = "mixer";
        await using var subscription = await RelayClient.SubscribeAsync(_ports[_nodes.ChosenFor(D, endpoint)].LocalEndPoint, Token(D), endpoint);
        await using var flow = await RelayClient.OpenAsync(RoomB, Token(B), D, endpoint);
        var first = _nodes.Rooms[B].Single(r => _ports[r].LocalEndPoint.Equals(flow.Relay));

        long unacknowledged = 0;
        var (sent, delivered, longestGap) = await WriteKillingAsync(flow, subscription, () =>
        {
            unacknowledged = flow.UnacknowledgedBytes;
            return KillAsync(first);
        });

        Assert.True(sent.AsSpan().SequenceEqual(delivered), $"delivered {delivered.Length} bytes that differ from the {sent.Length} sent");
        Assert.Equal(1, flow.Resumptions);
        Assert.NotEqual(_ports[first].LocalEndPoint, flow.Relay);
        output.WriteLine($"{transport}: ingress relay killed with {unacknowledged / 1024} KiB unacknowledged; resumed at the sibling; longest gap at the subscriber {longestGap.TotalMilliseconds:F0} ms");
    }

    [SkippableFact]
    public async Task Killing_the_egress_relay_mid_flow_the_subscriber_gets_the_rest_through_its_sibling()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        const string endpoint = "monitor";
        await using var subscription = await RelayClient.SubscribeAsync(RoomD, Token(D), endpoint); // through every relay of D
        await using var flow = await RelayClient.OpenAsync(RoomB, Token(B), D, endpoint);
        var egress = _nodes.ChosenFor(D, endpoint);

        var (sent, delivered, longestGap) = await WriteKillingAsync(flow, subscription, () => KillAsync(egress));

        Assert.True(sent.AsSpan().SequenceEqual(delivered), $"delivered {delivered.Length} bytes that differ from the {sent.Length} sent");
        Assert.Equal(0, flow.Resumptions); // the engine's own relay lived: the path moved to the sibling of the dead egress
        output.WriteLine($"{transport}: egress relay killed mid-flow; the subscriber got the rest through its sibling, longest gap {longestGap.TotalMilliseconds:F0} ms");
    }

    [SkippableFact]
    public async Task A_relay_still_draining_at_its_drain_timeout_moves_its_engines_flows_to_the_sibling_and_is_drained()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        const string endpoint = "archive";
        await using var subscription = await RelayClient.SubscribeAsync(_ports[_nodes.ChosenFor(D, endpoint)].LocalEndPoint, Token(D), endpoint);
        await using var flow = await RelayClient.OpenAsync(RoomB, Token(B), D, endpoint);
        var draining = _nodes.Rooms[B].Single(r => _ports[r].LocalEndPoint.Equals(flow.Relay));
        var received = ReceiveAsync(subscription);
        var sent = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await flow.WriteAsync(sent.AsMemory(0, sent.Length / 2));

        // The flow runs on through the drain (it started here) until the timeout; then its engine takes it to the sibling.
        draining.Drain();
        Assert.Equal(Msdn.Overlay.Lifecycle.RelayState.Draining, draining.State);
        await draining.WhenDrainedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await RelayMesh.WaitUntilAsync(() => flow.Resumptions == 1, TimeSpan.FromSeconds(10));
        Assert.NotEqual(_ports[draining].LocalEndPoint, flow.Relay);

        await flow.WriteAsync(sent.AsMemory(sent.Length / 2));
        await flow.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var (delivered, longestGap) = await received.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent.AsSpan().SequenceEqual(delivered), "delivered bytes differ from sent bytes");
        output.WriteLine($"{transport}: drained past its timeout; the flow moved to the sibling, longest gap at the subscriber {longestGap.TotalMilliseconds:F0} ms");
    }

    [SkippableFact]
    public async Task A_resumption_with_another_flow_s_ticket_or_past_what_was_sent_is_refused_and_the_flow_goes_on()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        const string endpoint = "recorder";
        await using var subscription = await RelayClient.SubscribeAsync(_ports[_nodes.ChosenFor(D, endpoint)].LocalEndPoint, Token(D), endpoint);
        await using var flow = await RelayClient.OpenAsync(RoomB, Token(B), D, endpoint);
        var sibling = _nodes.Rooms[B].Single(r => !_ports[r].LocalEndPoint.Equals(flow.Relay));
        var received = ReceiveAsync(subscription);
        var sent = RandomNumberGenerator.GetBytes(256 * 1024);
        await flow.WriteAsync(sent.AsMemory(0, sent.Length / 2));
        await RelayMesh.WaitUntilAsync(() => flow.UnacknowledgedBytes == 0, TimeSpan.FromSeconds(10)); // the destination has the flow

        // A ticket for another flow (here: another id) is not this flow's.
        var forged = await HelloAsync(sibling, new ClientHello(Token(B), ClientOperation.Resume, D.Value, endpoint, flow.Id + 1, 0, _tokens.ResumeTicket(B.Value, flow.Id, D.Value, endpoint)));
        Assert.StartsWith("token NotYourFlow", forged.Reason, StringComparison.Ordinal);

        // The right ticket, but from far past what the engine sent: the destination has no such chunks.
        var ticket = _tokens.ResumeTicket(B.Value, flow.Id, D.Value, endpoint);
        var beyond = await HelloAsync(sibling, new ClientHello(Token(B), ClientOperation.Resume, D.Value, endpoint, flow.Id, 1_000_000, ticket));
        Assert.True(beyond.Reason.Contains("cannot resume from chunk 1000000", StringComparison.Ordinal), beyond.Reason);

        // Neither disturbed the flow: the rest goes through its own relay, and all of it arrives.
        await flow.WriteAsync(sent.AsMemory(sent.Length / 2));
        await flow.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var (delivered, _) = await received.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent.AsSpan().SequenceEqual(delivered));
        Assert.Equal(0, flow.Resumptions);
    }

    /// <summary>The relay's process dies: its client port and the relay at once.</summary>
    private Task KillAsync(RelayNode relay) => Task.WhenAll(_ports[relay].DisposeAsync().AsTask(), _nodes.KillAsync(relay));

    /// <summary>Writes 16 MiB through <paramref name="flow"/>, running <paramref name="kill"/> a third of the way in; what was sent and what arrived.</summary>
    private static async Task<(byte[] Sent, byte[] Delivered, TimeSpan LongestGap)> WriteKillingAsync(ClientFlow flow, ClientSubscription subscription, Func<Task> kill)
    {
        var sent = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);
        var received = ReceiveAsync(subscription);
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < sent.Length; at += 32 * 1024)
            {
                await flow.WriteAsync(sent.AsMemory(at, 32 * 1024));
                if (at >= sent.Length / 3)
                {
                    third.TrySetResult();
                }
            }

            await flow.CompleteAsync();
        });

        await third.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await kill();
        await writing.WaitAsync(TimeSpan.FromSeconds(60));
        var (delivered, longestGap) = await received.WaitAsync(TimeSpan.FromSeconds(60));
        return (sent, delivered, longestGap);
    }

    /// <summary>Says <paramref name="hello"/> to <paramref name="relay"/>'s client port as a raw engine would, and returns the relay's last word.</summary>
    private async Task<CloseFlow> HelloAsync(RelayNode relay, ClientHello hello)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_ports[relay].LocalEndPoint);
        await using var frames = new FrameStream(new NetworkStream(socket, ownsSocket: true), FrameLimits.Default);
        await frames.WriteAsync(Frame.Hello(hello), default);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await frames.ReadAsync(patience.Token) is { } read)
        {
            if (read.Frame.Control is CloseFlow last)
            {
                return last;
            }
        }

        throw new IOException("The relay closed the connection without a word.");
    }

    /// <summary>The first flow's bytes, and the longest wait between two of its chunks.</summary>
    private static async Task<(byte[] Bytes, TimeSpan LongestGap)> ReceiveAsync(ClientSubscription subscription)
    {
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        using var all = new MemoryStream();
        var longest = TimeSpan.Zero;
        var last = Stopwatch.GetTimestamp();
        await foreach (var chunk in incoming.Data.ReadAllAsync())
        {
            var gap = Stopwatch.GetElapsedTime(last);
            longest = gap > longest ? gap : longest;
            last = Stopwatch.GetTimestamp();
            all.Write(chunk.Span);
        }

        return (all.ToArray(), longest);
    }
}

public sealed class ClientResumeOverTcpTests(ITestOutputHelper output) : ClientResumeTests(output, "tcp");

public sealed class ClientResumeOverQuicTests(ITestOutputHelper output) : ClientResumeTests(output, "quic");
