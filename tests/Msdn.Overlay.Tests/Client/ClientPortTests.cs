using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Msdn.Client;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Client;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Msdn.Tokens;

using Msdn.Overlay.Tests.Relay;

namespace Msdn.Overlay.Tests.Client;

/// <summary>
/// Media engines on real client ports of two real relays (A → C over TCP + TLS): tokens are enforced,
/// refusals say why, and nothing a refused or malformed client does stops the relay serving others.
/// </summary>
public sealed class ClientPortTests : IAsyncLifetime
{
    private static readonly RoomId A = "room-a", C = "room-c";
    private readonly string _dir = Directory.CreateTempSubdirectory("clients-").FullName;
    private readonly FakeTimeProvider _tokenClock = new(DateTimeOffset.Parse("2026-11-27T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<RoomId, RelayNode> _relays = [];
    private readonly Dictionary<RoomId, ClientPort> _ports = [];
    private readonly List<X509Certificate2> _certificates = [];
    private MediaTokens _tokens = null!;

    public async Task InitializeAsync()
    {
        _tokens = new MediaTokens(_key, _tokenClock);
        var routes = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions())
            .Compute(TopologySnapshot.Create([A, C], [new Link(A, C, LinkQuality.FromRtt(10)), new Link(C, A, LinkQuality.FromRtt(10))]));
        foreach (var room in new[] { A, C })
        {
            _certificates.Add(RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, room.Value), room.Value, TimeProvider.System));
        }

        var pins = _certificates.Select(RelayCertificates.Fingerprint).ToArray();
        foreach (var (room, certificate) in new[] { A, C }.Zip(_certificates))
        {
            var transport = new TcpTlsRelayTransport(new RelayTransportOptions(certificate, new PeerCertificatePolicy(pins, null, TimeProvider.System)));
            var relay = new RelayNode(room, transport, r => _relays.TryGetValue(r, out var peer) ? peer.LocalEndPoint : null, () => routes, TimeProvider.System, NullLogger<RelayNode>.Instance);
            await relay.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
            _relays[room] = relay;
            var port = new ClientPort(relay, _tokens, NullLogger<ClientPort>.Instance);
            await port.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
            _ports[room] = port;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var port in _ports.Values)
        {
            await port.DisposeAsync();
        }

        foreach (var relay in _relays.Values)
        {
            await relay.DisposeAsync();
        }

        _certificates.ForEach(c => c.Dispose());
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Connections_past_the_port_s_cap_are_closed_at_once_and_the_port_accepts_again_once_they_go()
    {
        await using var port = new ClientPort(_relays[A], _tokens, NullLogger<ClientPort>.Instance, new ConnectionLimiter(maxConnections: 8, maxPerAddress: 8));
        await port.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var held = new List<TcpClient>();
        for (var i = 0; i < 20; i++)
        {
            var client = new TcpClient();
            await client.ConnectAsync((IPEndPoint)port.LocalEndPoint);
            held.Add(client);
        }

        // The twelve past the cap see their connection end; the first eight are held (waiting for their Hello).
        var ended = 0;
        foreach (var client in held)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                ended += await client.GetStream().ReadAsync(new byte[1], wait.Token) == 0 ? 1 : 0;
            }
            catch (OperationCanceledException)
            {
                // still held open
            }
            catch (IOException)
            {
                ended++; // reset
            }
        }

        Assert.Equal(12, ended);
        Assert.Equal(12, port.Limits.Refused);
        held.ForEach(c => c.Dispose());

        // Once they are gone the port serves again: a Hello with a bad token is answered with a refusal, not ignored.
        await RelayMesh.WaitUntilAsync(() => port.Limits.Open == 0, TimeSpan.FromSeconds(10));
        var refused = await Assert.ThrowsAsync<RelayClientException>(() => RelayClient.OpenAsync(port.LocalEndPoint, "not-a-token", C, "mixer"));
        Assert.Contains("token", refused.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_first_frame_longer_than_a_hello_is_refused_from_its_length_prefix_without_waiting_for_it()
    {
        using var stranger = new TcpClient();
        await stranger.ConnectAsync((IPEndPoint)_ports[A].LocalEndPoint);
        var prefix = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(prefix, 1_000_000); // within a data frame's limit, far past a Hello's
        await stranger.GetStream().WriteAsync(prefix);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var answer = new MemoryStream();
        try
        {
            await stranger.GetStream().CopyToAsync(answer, wait.Token); // the refusal, then the end: nothing of the promised megabyte was waited for
        }
        catch (IOException)
        {
            // reset after the refusal: refused all the same
        }

        Assert.False(wait.IsCancellationRequested, "the relay waited for the rest of the frame");
        Assert.Contains("outside 1..16385", System.Text.Encoding.UTF8.GetString(answer.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_a_reserved_endpoint_is_a_bad_request_not_an_internal_error()
    {
        var refused = await Assert.ThrowsAsync<RelayClientException>(() => RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["*"]), C, RelayNode.ControlEndpoint));
        Assert.StartsWith("bad request", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_engine_writes_a_flow_that_another_engine_reads_intact()
    {
        await using var subscription = await RelayClient.SubscribeAsync(_ports[C].LocalEndPoint, Token(C, subscribe: ["mixer"]), "mixer");
        await using var flow = await RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["room-c/mixer"]), C, "mixer");
        var sent = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var random = new Random(3);
        for (var at = 0; at < sent.Length;)
        {
            var size = Math.Min(random.Next(1, 100_000), sent.Length - at);
            await flow.WriteAsync(sent.AsMemory(at, size));
            at += size;
        }

        await flow.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(A, incoming.Source);
        var delivered = await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent.AsSpan().SequenceEqual(delivered), "delivered bytes differ from sent bytes");
    }

    [Fact]
    public async Task An_engine_that_stops_reading_holds_the_writing_engine_back_and_neither_relay_buffers_the_flow()
    {
        await using var subscription = await RelayClient.SubscribeAsync(_ports[C].LocalEndPoint, Token(C, subscribe: ["slow"]), "slow");
        await using var flow = await RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["room-c/slow"]), C, "slow");
        var sent = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < sent.Length; at += 64 * 1024)
            {
                await flow.WriteAsync(sent.AsMemory(at, 64 * 1024));
            }

            await flow.CompleteAsync();
        });
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        // The engine reads nothing: its library stops reading at its bound, room-c's relay holds the flow, room-a's sends nothing more.
        await RelayMesh.WaitUntilAsync(() => _relays[A].IngressFlows.FirstOrDefault() is { } ingress && ingress.Sender.Held && ingress.Sender.BufferedBytes > new RelayNodeOptions().MaxUnacknowledgedBytes / 2, TimeSpan.FromSeconds(30));
        var options = new RelayNodeOptions();
        // A flow delivered to a media engine holds at half the hold (its acks wait on delivery, so it holds before its window fills).
        Assert.InRange(_relays[C].EgressUnreadBytes, options.EgressHoldBytes / 2, options.EgressHoldBytes + options.MaxUnacknowledgedBytes);
        Assert.False(writing.IsCompleted);

        var delivered = await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await writing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent.AsSpan().SequenceEqual(delivered), "delivered bytes differ from sent bytes");
    }

    [Fact]
    public async Task Bad_tokens_and_requests_are_refused_saying_why_and_the_relay_keeps_serving()
    {
        var foreign = new MediaTokens(RandomNumberGenerator.GetBytes(32), _tokenClock).Issue(Claims(A, ["*"], []));
        await AssertRefusedAsync("BadSignature", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, foreign, C, "mixer"));
        await AssertRefusedAsync("Malformed", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, "not-a-token", C, "mixer"));
        await AssertRefusedAsync("WrongRoom", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(C, open: ["*"]), C, "mixer"));
        await AssertRefusedAsync("NotAllowed", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["room-c/other"]), C, "mixer"));
        await AssertRefusedAsync("NotAllowed", () => RelayClient.SubscribeAsync(_ports[C].LocalEndPoint, Token(C, subscribe: ["other"]), "mixer"));
        await AssertRefusedAsync("unknown room", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["*"]), "room-z", "mixer"));
        var expiring = Token(A, open: ["*"]);
        _tokenClock.Advance(TimeSpan.FromHours(2));
        await AssertRefusedAsync("Expired", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, expiring, C, "mixer"));

        await An_engine_writes_a_flow_that_another_engine_reads_intact();
    }

    [Fact]
    public async Task A_malformed_frame_gets_a_typed_refusal_and_only_that_connection_ends()
    {
        using (var raw = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await raw.ConnectAsync(_ports[A].LocalEndPoint);
            await raw.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3 }); // a 2 GiB length prefix
            var answer = new byte[1024];
            var read = 0;
            int n;
            while ((n = await raw.ReceiveAsync(answer.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
            {
                read += n;
            }

            Assert.Contains("malformed", System.Text.Encoding.UTF8.GetString(answer, 0, read), StringComparison.Ordinal);
        }

        await An_engine_writes_a_flow_that_another_engine_reads_intact();
    }

    [Fact]
    public async Task A_flow_whose_writer_goes_away_without_closing_it_arrives_whole_up_to_the_break_and_marked_cut_off()
    {
        await using var subscription = await RelayClient.SubscribeAsync(_ports[C].LocalEndPoint, Token(C, subscribe: ["mixer"]), "mixer");
        var flow = await RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["room-c/mixer"]), C, "mixer");
        var sent = RandomNumberGenerator.GetBytes(200_000);
        await flow.WriteAsync(sent);
        await flow.DisposeAsync(); // the engine's connection ends: no Close

        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        using var received = new MemoryStream();
        var cut = await Assert.ThrowsAsync<FlowCutOffException>(() => incoming.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("cut off", cut.Message, StringComparison.Ordinal);
        Assert.True(sent.AsSpan().SequenceEqual(received.ToArray()), "every byte written before the break is delivered, in order");

        // A flow its writer closes still ends cleanly on the same subscription.
        await using var closed = await RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["room-c/mixer"]), C, "mixer");
        await closed.WriteAsync(sent);
        await closed.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var whole = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(sent, await whole.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_subscription_ends_when_its_token_expires_saying_so()
    {
        await using var subscription = await RelayClient.SubscribeAsync(_ports[C].LocalEndPoint, Token(C, subscribe: ["mixer"]), "mixer");
        var next = subscription.AcceptFlowAsync().AsTask();
        _tokenClock.Advance(TimeSpan.FromMinutes(59));
        Assert.False(next.IsCompleted);

        _tokenClock.Advance(TimeSpan.FromMinutes(2));
        var ended = await Assert.ThrowsAsync<RelayClientException>(() => next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.StartsWith("token Expired", ended.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_draining_relay_refuses_new_flows()
    {
        _relays[A].Drain();
        await AssertRefusedAsync("draining", () => RelayClient.OpenAsync(_ports[A].LocalEndPoint, Token(A, open: ["*"]), C, "mixer"));
        _relays[A].CancelDrain();
        await An_engine_writes_a_flow_that_another_engine_reads_intact();
    }

    private static async Task AssertRefusedAsync<T>(string reason, Func<Task<T>> attempt)
    {
        var refused = await Assert.ThrowsAsync<RelayClientException>(async () => await attempt().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
    }

    private string Token(RoomId room, string[]? open = null, string[]? subscribe = null) => _tokens.Issue(Claims(room, open ?? [], subscribe ?? []));

    private MediaTokenClaims Claims(RoomId room, string[] open, string[] subscribe) =>
        new("engine-1", room.Value, open, subscribe, _tokenClock.GetUtcNow().AddHours(1).ToUnixTimeSeconds());
}
