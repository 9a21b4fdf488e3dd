using System.IO.Pipelines;
using System.Net;
using Msdn.Client.Framing;
using Msdn.Overlay.Transport;
using Msdn.Overlay.Transport.Mux;

namespace Msdn.Overlay.Tests.Transport;

/// <summary>The multiplexer against a hostile peer, over an in-process byte pipe (the TLS layer is not the point here).</summary>
public sealed class MuxProtocolTests
{
    [Theory]
    [InlineData(new byte[] { 9, 1, 0, 0, 0, 0, 0, 0, 0 })]                   // unknown frame type
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 0xFF, 0xFF, 0, 0 })]             // data frame over the size limit
    [InlineData(new byte[] { 0, 2, 0, 0, 0, 0, 0, 0, 0 })]                   // the client opening an even (server) stream id
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 5, 0, 0, 0, 1, 2 })]             // connection ends inside a frame
    public async Task A_malformed_frame_closes_only_that_connection(byte[] garbage)
    {
        var (server, raw) = InProcessDuplex.Pair();
        var (healthyServer, healthyClientSide) = InProcessDuplex.Pair();
        await using var healthy = new MuxConnection(healthyClientSide, isClient: true, new IPEndPoint(IPAddress.Loopback, 2));
        await using var attacked = new MuxConnection(server, isClient: false, new IPEndPoint(IPAddress.Loopback, 1));
        await using var healthyPeer = new MuxConnection(healthyServer, isClient: false, new IPEndPoint(IPAddress.Loopback, 3));

        await raw.WriteAsync(garbage);
        await raw.FlushAsync();
        raw.Dispose(); // for the truncated case: the peer is gone mid-frame
        var failure = await Record.ExceptionAsync(() => attacked.AcceptStreamAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsType<IOException>(failure);
        Assert.NotNull(attacked.Failure);

        // Another connection of the same process is untouched.
        var stream = await healthy.OpenStreamAsync(default);
        var accepted = await healthyPeer.AcceptStreamAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await stream.WriteAsync(new byte[] { 42 });
        var buffer = new byte[1];
        Assert.Equal(1, await accepted.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(42, buffer[0]);
    }

    [Fact]
    public async Task A_slow_reader_holds_back_its_own_writer_only()
    {
        var (a, b) = InProcessDuplex.Pair();
        await using var left = new MuxConnection(a, isClient: true, new IPEndPoint(IPAddress.Loopback, 1));
        await using var right = new MuxConnection(b, isClient: false, new IPEndPoint(IPAddress.Loopback, 2));
        var slow = await left.OpenStreamAsync(default);
        var slowPeer = await right.AcceptStreamAsync(default);
        var fast = await left.OpenStreamAsync(default);
        var fastPeer = await right.AcceptStreamAsync(default);

        // Nobody reads the slow stream: its writer stops after one window...
        var blocked = slow.WriteAsync(new byte[MuxLimits.InitialWindow * 2]).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => blocked.WaitAsync(TimeSpan.FromMilliseconds(500)));

        // ...while the other stream on the same connection flows freely.
        await fast.WriteAsync(new byte[100_000]);
        var received = 0;
        var buffer = new byte[16 * 1024];
        while (received < 100_000)
        {
            received += await fastPeer.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        // Reading the slow stream releases its writer.
        var drained = 0;
        while (drained < MuxLimits.InitialWindow * 2)
        {
            drained += await slowPeer.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Closing_a_stream_the_peer_still_writes_to_frees_the_peer_s_writer_and_both_tables()
    {
        var (a, b) = InProcessDuplex.Pair();
        await using var left = new MuxConnection(a, isClient: true, new IPEndPoint(IPAddress.Loopback, 1));
        await using var right = new MuxConnection(b, isClient: false, new IPEndPoint(IPAddress.Loopback, 2));
        var writer = await left.OpenStreamAsync(default);
        var reader = await right.AcceptStreamAsync(default);

        // The writer waits for credit the reader will never grant: the reader's side is done with the stream.
        var blocked = writer.WriteAsync(new byte[MuxLimits.InitialWindow * 2]).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => blocked.WaitAsync(TimeSpan.FromMilliseconds(300)));
        await reader.DisposeAsync();

        var failure = await Record.ExceptionAsync(() => blocked.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsType<IOException>(failure);
        await writer.DisposeAsync();
        Assert.Equal(0, right.OpenStreams);
        Assert.Equal(0, left.OpenStreams);
    }

    [Fact]
    public async Task An_aborted_stream_fails_the_peer_s_reads_at_once()
    {
        var (a, b) = InProcessDuplex.Pair();
        await using var left = new MuxConnection(a, isClient: true, new IPEndPoint(IPAddress.Loopback, 1));
        await using var right = new MuxConnection(b, isClient: false, new IPEndPoint(IPAddress.Loopback, 2));
        var stream = await left.OpenStreamAsync(default);
        var peer = await right.AcceptStreamAsync(default);
        var reading = peer.ReadAsync(new byte[16]).AsTask();

        stream.Abort();

        var failure = await Record.ExceptionAsync(() => reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsType<IOException>(failure);
        await Msdn.Overlay.Tests.Relay.RelayMesh.WaitUntilAsync(() => right.OpenStreams == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, left.OpenStreams);
    }

    [Fact]
    public async Task A_silent_peer_s_connection_is_closed_after_the_idle_timeout()
    {
        var (a, _) = InProcessDuplex.Pair(); // the far end never says anything, not even a ping
        var keepAlive = new MuxKeepAlive(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), TimeProvider.System);
        await using var left = new MuxConnection(a, isClient: true, new IPEndPoint(IPAddress.Loopback, 1), keepAlive);
        var stream = await left.OpenStreamAsync(default);

        var failure = await Record.ExceptionAsync(() => stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.True(RelayStreams.IsConnectionLoss(failure!), $"expected a lost connection, got {failure}");
    }

    [Fact]
    public async Task Pings_keep_a_quiet_but_live_connection_open()
    {
        var (a, b) = InProcessDuplex.Pair();
        var keepAlive = new MuxKeepAlive(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeProvider.System);
        await using var left = new MuxConnection(a, isClient: true, new IPEndPoint(IPAddress.Loopback, 1), keepAlive);
        await using var right = new MuxConnection(b, isClient: false, new IPEndPoint(IPAddress.Loopback, 2), keepAlive);
        var stream = await left.OpenStreamAsync(default);
        var peer = await right.AcceptStreamAsync(default);

        // Three idle timeouts with nothing to say: the pings alone keep both sides open.
        var reading = peer.ReadAsync(new byte[16]).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => reading.WaitAsync(TimeSpan.FromSeconds(3)));
        await stream.WriteAsync(new byte[] { 7 });
        Assert.Equal(1, await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(left.Failure);
        Assert.Null(right.Failure);
    }
}
