using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Msdn.Client;
using Msdn.Client.Framing;

namespace Msdn.Overlay.Tests.Client;

/// <summary>
/// A subscription facing scripted relays on real sockets: a flow that goes on through a second relay passes over what
/// it already has, and a flow that would skip chunks ends with a typed error and is refused to the relay, never
/// delivered with a hole in it.
/// </summary>
public sealed class ClientSubscriptionTests
{
    private static readonly ReadOnlySequence<byte> One = new("1"u8.ToArray()), Two = new("2"u8.ToArray()), Three = new("3"u8.ToArray());

    [Fact]
    public async Task A_flow_going_on_through_another_relay_arrives_once_and_in_order()
    {
        await using var first = await ScriptedRelay.StartAsync();
        await using var second = await ScriptedRelay.StartAsync();
        var subscribing = RelayClient.SubscribeAsync([first.Endpoint, second.Endpoint], "token", "mixer");
        var (a, b) = (await first.AcceptSubscriberAsync(), await second.AcceptSubscriberAsync());
        await using var subscription = await subscribing;

        await a.WriteAsync(Frame.Open(new OpenFlow(7, "room-a", "room-c", "mixer", [], 0)), default);
        await a.WriteAsync(Frame.Data(7, 0, One), default);
        await a.WriteAsync(Frame.Data(7, 1, Two), default);
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await first.DisposeAsync(); // the first relay dies; the flow's ingress takes it to the second from chunk 1

        await b.WriteAsync(Frame.Open(new OpenFlow(7, "room-a", "room-c", "mixer", [], 1)), default);
        await b.WriteAsync(Frame.Data(7, 1, Two), default); // had it already
        await b.WriteAsync(Frame.Data(7, 2, Three), default);
        await b.WriteAsync(Frame.Close(new CloseFlow(7, "end")), default);

        Assert.Equal("123"u8.ToArray(), await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_flow_that_would_skip_chunks_ends_with_a_typed_error_and_is_refused_to_its_relay()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var subscribing = RelayClient.SubscribeAsync(relay.Endpoint, "token", "mixer");
        var frames = await relay.AcceptSubscriberAsync();
        await using var subscription = await subscribing;

        await frames.WriteAsync(Frame.Open(new OpenFlow(9, "room-a", "room-c", "mixer", [], 0)), default);
        await frames.WriteAsync(Frame.Data(9, 0, One), default);
        await frames.WriteAsync(Frame.Data(9, 2, Three), default); // chunk 1 never came
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        var broken = await Assert.ThrowsAsync<IOException>(() => incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("chunks in between were lost", broken.Message, StringComparison.Ordinal);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var refusal = await frames.ReadAsync(patience.Token);
        Assert.True(refusal?.Frame.Control is CloseFlow { FlowId: 9, Final: true }, "the relay hears the subscriber refuse the flow");

        // A flow resumed mid-way that this subscriber never had is refused too, and the subscription goes on.
        await frames.WriteAsync(Frame.Open(new OpenFlow(11, "room-b", "room-c", "mixer", [], 5)), default);
        var unknown = await frames.ReadAsync(patience.Token);
        Assert.True(unknown?.Frame.Control is CloseFlow { FlowId: 11, Final: true } close && close.Reason.Contains("holds nothing", StringComparison.Ordinal));
        await frames.WriteAsync(Frame.Open(new OpenFlow(12, "room-b", "room-c", "mixer", [], 0)), default);
        await frames.WriteAsync(Frame.Close(new CloseFlow(12, "end")), default);
        var next = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(12UL, next.Id);
    }

    [Fact]
    public async Task A_relay_that_drops_the_subscription_is_dialled_again_and_its_flow_goes_on_there()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var subscribing = RelayClient.SubscribeAsync(relay.Endpoint, "token", "mixer");
        var before = await relay.AcceptSubscriberAsync();
        await using var subscription = await subscribing;
        await before.WriteAsync(Frame.Open(new OpenFlow(7, "room-a", "room-c", "mixer", [], 0)), default);
        await before.WriteAsync(Frame.Data(7, 0, One), default);
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // The relay restarts at its address: the subscription comes back, and the flow's ingress resumes it there.
        await relay.DropAsync();
        var after = await relay.AcceptSubscriberAsync();
        await after.WriteAsync(Frame.Open(new OpenFlow(7, "room-a", "room-c", "mixer", [], 1)), default);
        await after.WriteAsync(Frame.Data(7, 1, Two), default);
        await after.WriteAsync(Frame.Close(new CloseFlow(7, "end")), default);
        Assert.Equal("12"u8.ToArray(), await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        await after.WriteAsync(Frame.Open(new OpenFlow(8, "room-b", "room-c", "mixer", [], 0)), default);
        Assert.Equal(8UL, (await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Id);
    }

    [Fact]
    public async Task A_subscription_no_relay_takes_back_ends_with_the_reason_and_its_open_flows_as_incomplete()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var subscribing = RelayClient.SubscribeAsync([relay.Endpoint], "token", "mixer", reconnectPatience: TimeSpan.FromSeconds(1));
        var frames = await relay.AcceptSubscriberAsync();
        await using var subscription = await subscribing;
        await frames.WriteAsync(Frame.Open(new OpenFlow(7, "room-a", "room-c", "mixer", [], 0)), default);
        var incoming = await subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        await relay.DisposeAsync(); // gone for good: every dial is refused
        var ended = await Assert.ThrowsAsync<RelayClientException>(() => subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("No relay took the subscription back within 1 s", ended.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_relay_that_ends_the_subscription_itself_is_not_dialled_again()
    {
        await using var relay = await ScriptedRelay.StartAsync();
        var subscribing = RelayClient.SubscribeAsync(relay.Endpoint, "token", "mixer");
        var frames = await relay.AcceptSubscriberAsync();
        await using var subscription = await subscribing;
        await frames.WriteAsync(Frame.Close(new CloseFlow(0, "token Expired")), default);

        var ended = await Assert.ThrowsAsync<RelayClientException>(() => subscription.AcceptFlowAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("token Expired", ended.Reason);
        Assert.False(relay.HasCaller, "the subscription did not dial the relay again");
    }

    /// <summary>A relay's client port that accepts one subscriber and then says what the test tells it to.</summary>
    private sealed class ScriptedRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private FrameStream? _frames;

        public EndPoint Endpoint => _listener.LocalEndpoint;

        public static Task<ScriptedRelay> StartAsync()
        {
            var relay = new ScriptedRelay();
            relay._listener.Start();
            return Task.FromResult(relay);
        }

        /// <summary>Takes the subscriber's Hello and accepts it.</summary>
        public async Task<FrameStream> AcceptSubscriberAsync()
        {
            var socket = await _listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
            _frames = new FrameStream(new NetworkStream(socket, ownsSocket: true), FrameLimits.Default);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.True((await _frames.ReadAsync(patience.Token))?.Frame.Control is ClientHello { Operation: ClientOperation.Subscribe });
            await _frames.WriteAsync(Frame.Ack(0, 0), patience.Token);
            return _frames;
        }

        /// <summary>The relay drops the subscriber's connection (it died and is back at once), still listening.</summary>
        public async Task DropAsync()
        {
            await _frames!.DisposeAsync();
            _frames = null;
        }

        /// <summary>Whether someone dialled the relay and waits to be accepted.</summary>
        public bool HasCaller => _listener.Pending();

        public async ValueTask DisposeAsync()
        {
            if (_frames is not null)
            {
                await _frames.DisposeAsync();
                _frames = null;
            }

            _listener.Stop();
        }
    }
}
