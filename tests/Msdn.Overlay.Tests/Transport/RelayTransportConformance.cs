using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Msdn.Overlay.Security;
using Msdn.Overlay.Tests.Relay;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Tests.Transport;

/// <summary>
/// The one conformance suite every relay transport passes, over real sockets on 127.0.0.1 with mutual
/// TLS between two relay identities. Subclasses say which transport; unsupported ones skip, saying why.
/// </summary>
public abstract class RelayTransportConformance : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("transport-").FullName;
    private readonly X509Certificate2 _serverCert;
    private readonly X509Certificate2 _clientCert;

    protected X509Certificate2 ServerCertificate => _serverCert;

    protected X509Certificate2 ClientCertificate => _clientCert;

    protected RelayTransportConformance()
    {
        _serverCert = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "s"), "room-s", TimeProvider.System);
        _clientCert = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "c"), "room-c", TimeProvider.System);
    }

    protected abstract string SkipReason { get; }

    public void Dispose()
    {
        _serverCert.Dispose();
        _clientCert.Dispose();
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public async Task A_stream_carries_bytes_both_ways_in_order()
    {
        await using var pair = await ConnectAsync();
        var client = await pair.Client.OpenStreamAsync(default);
        var sent = RandomNumberGenerator.GetBytes(300_000);
        var echo = EchoOneStreamAsync(pair.Server);
        await client.WriteAsync(sent);
        await client.CompleteWritesAsync();
        var received = await ReadToEndAsync(client);
        await echo;
        Assert.Equal(sent, received);
    }

    [SkippableFact]
    public async Task Many_concurrent_streams_stay_separate()
    {
        await using var pair = await ConnectAsync();
        var server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (var i = 0; i < 16; i++)
            {
                var stream = await pair.Server.AcceptStreamAsync(default);
                echoes.Add(EchoAsync(stream));
            }

            await Task.WhenAll(echoes);
        });
        var clients = Enumerable.Range(0, 16).Select(async i =>
        {
            var stream = await pair.Client.OpenStreamAsync(default);
            var sent = RandomNumberGenerator.GetBytes(100_000 + i);
            var reading = ReadToEndAsync(stream);
            await stream.WriteAsync(sent);
            await stream.CompleteWritesAsync();
            Assert.Equal(sent, await reading);
        }).ToList();
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
        await server.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [SkippableFact]
    public async Task Hundreds_of_streams_stay_open_at_once()
    {
        // A relay keeps one stream per flow to a peer for as long as the flow lives: hundreds at once must
        // open without waiting for others to end (MsQuic's default allows a peer 100).
        await using var pair = await ConnectAsync();
        const int count = 300;
        var streams = new List<Stream>();
        for (var i = 0; i < count; i++)
        {
            var stream = await pair.Client.OpenStreamAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            await stream.WriteAsync(BitConverter.GetBytes(i));
            streams.Add(stream);
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < count; i++)
        {
            var accepted = await pair.Server.AcceptStreamAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var id = new byte[4];
            await accepted.ReadExactlyAsync(id).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            seen.Add(BitConverter.ToInt32(id));
            await accepted.DisposeAsync();
        }

        Assert.Equal(count, seen.Count);
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_large_transfer_arrives_intact_through_flow_control()
    {
        await using var pair = await ConnectAsync();
        var sent = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);
        var accept = pair.Server.AcceptStreamAsync(default);
        var client = await pair.Client.OpenStreamAsync(default);
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < sent.Length; at += 64 * 1024)
            {
                await client.WriteAsync(sent.AsMemory(at, Math.Min(64 * 1024, sent.Length - at)));
            }

            await client.CompleteWritesAsync();
        });
        var server = await accept;
        var received = await ReadToEndAsync(server).WaitAsync(TimeSpan.FromSeconds(60));
        await writing;
        Assert.Equal(SHA256.HashData(sent), SHA256.HashData(received));
    }

    [SkippableFact]
    public async Task An_unknown_relay_is_refused()
    {
        Skip.If(SkipReason.Length > 0, SkipReason);
        using var stranger = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "x"), "room-x", TimeProvider.System);
        var server = CreateTransport(_serverCert, [RelayCertificates.Fingerprint(_clientCert)]);
        await using var listener = await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        var accepting = listener.AcceptAsync(default).AsTask();
        var client = CreateTransport(stranger, [RelayCertificates.Fingerprint(_serverCert)]);
        var error = await TryUseAsync(client, listener.LocalEndPoint);
        Assert.NotNull(error);
        await Assert.ThrowsAnyAsync<TimeoutException>(() => accepting.WaitAsync(TimeSpan.FromSeconds(1)));
    }

    [SkippableFact]
    public async Task Dialling_a_port_where_no_relay_listens_is_refused_not_left_to_time_out()
    {
        Skip.If(SkipReason.Length > 0, SkipReason);
        var port = Msdn.Sim.Drills.Loopback.LoopbackPorts.RelayPort(); // bound by nothing: nothing answers there
        var client = CreateTransport(_clientCert, [RelayCertificates.Fingerprint(_serverCert)]);
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var connection = await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), default).WaitAsync(TimeSpan.FromSeconds(5));
        });
        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error); // the handshake timeout is 10 s: this is the refusal (RST, or ICMP port unreachable for QUIC)
    }

    [SkippableFact]
    public async Task A_pinned_relay_whose_certificate_expired_is_refused()
    {
        Skip.If(SkipReason.Length > 0, SkipReason);
        var threeYearsOn = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow().AddYears(3));
        var server = CreateTransport(_serverCert, [RelayCertificates.Fingerprint(_clientCert)], threeYearsOn);
        await using var listener = await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        var accepting = listener.AcceptAsync(default).AsTask();
        var client = CreateTransport(_clientCert, [RelayCertificates.Fingerprint(_serverCert)]);
        var error = await TryUseAsync(client, listener.LocalEndPoint);
        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error);
        Assert.False(accepting.IsCompleted, "an expired certificate got through the handshake");
    }

    [SkippableFact]
    public async Task A_hundred_failed_handshakes_leave_the_listener_accepting_peers()
    {
        Skip.If(SkipReason.Length > 0, SkipReason);
        using var stranger = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "x"), "room-x", TimeProvider.System);
        var server = CreateTransport(_serverCert, [RelayCertificates.Fingerprint(_clientCert)]);
        await using var listener = await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        var accepting = listener.AcceptAsync(default).AsTask();
        var impostor = CreateTransport(stranger, [RelayCertificates.Fingerprint(_serverCert)]);
        const int strangers = 100;
        var refusedByServer = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, strangers), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (_, _) =>
        {
            var error = await TryUseAsync(impostor, listener.LocalEndPoint);
            if (error is not null and not TimeoutException)
            {
                Interlocked.Increment(ref refusedByServer);
            }
        });
        Assert.Equal(strangers, refusedByServer);
        Assert.False(accepting.IsCompleted, "a stranger got through the handshake");

        // The listener is still accepting: a known peer connects and carries a stream.
        var peer = CreateTransport(_clientCert, [RelayCertificates.Fingerprint(_serverCert)]);
        await using var connection = await peer.ConnectAsync(listener.LocalEndPoint, default);
        await using var accepted = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        var stream = await connection.OpenStreamAsync(default);
        var echo = EchoOneStreamAsync(accepted);
        await stream.WriteAsync(new byte[] { 42 });
        await stream.CompleteWritesAsync();
        Assert.Equal([42], await ReadToEndAsync(stream).WaitAsync(TimeSpan.FromSeconds(10)));
        await echo;

        // Every refusal is counted (the server may finish counting just after its stranger heard the alert).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (listener.Refused < strangers && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(strangers, listener.Refused);
    }

    [SkippableFact]
    public async Task Losing_the_connection_fails_its_streams()
    {
        await using var pair = await ConnectAsync();
        var client = await pair.Client.OpenStreamAsync(default);
        await client.WriteAsync(new byte[] { 1 });
        await pair.Server.AcceptStreamAsync(default);
        await pair.Server.DisposeAsync();
        var failure = await Record.ExceptionAsync(async () =>
        {
            var buffer = new byte[16];
            while (await client.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) > 0)
            {
            }

            // A clean end of stream is not enough: the peer never finished its side.
            throw new IOException("ended");
        });
        Assert.IsAssignableFrom<IOException>(failure);
    }

    protected abstract IRelayTransport CreateTransport(X509Certificate2 certificate, string[] pinned, TimeProvider? time = null);

    private async Task<ConnectedPair> ConnectAsync()
    {
        Skip.If(SkipReason.Length > 0, SkipReason);
        var server = CreateTransport(_serverCert, [RelayCertificates.Fingerprint(_clientCert)]);
        var client = CreateTransport(_clientCert, [RelayCertificates.Fingerprint(_serverCert)]);
        var listener = await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        var accepting = listener.AcceptAsync(default).AsTask();
        var clientConnection = await client.ConnectAsync(listener.LocalEndPoint, default);
        var serverConnection = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        return new ConnectedPair(listener, serverConnection, clientConnection);
    }

    /// <summary>Connects and sends a few bytes on a stream; what went wrong, if anything (a refusal may only surface on first use).</summary>
    private static Task<Exception?> TryUseAsync(IRelayTransport client, EndPoint endpoint) => Record.ExceptionAsync(async () =>
    {
        await using var connection = await client.ConnectAsync(endpoint, default);
        var stream = await connection.OpenStreamAsync(default);
        await stream.WriteAsync(new byte[] { 1, 2, 3 });
        _ = await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    });

    private static async Task EchoOneStreamAsync(IRelayConnection connection) =>
        await EchoAsync(await connection.AcceptStreamAsync(default));

    private static async Task EchoAsync(Stream stream)
    {
        // Disposed when done, never left to the collector: MsQuic aborts a stream whose handle is released unclosed.
        await using var owned = stream;
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n));
        }

        await stream.CompleteWritesAsync();
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            memory.Write(buffer, 0, n);
        }

        return memory.ToArray();
    }

    private sealed record ConnectedPair(IRelayListener Listener, IRelayConnection Server, IRelayConnection Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            await Listener.DisposeAsync();
        }
    }
}

public sealed class TcpTlsRelayTransportTests : RelayTransportConformance
{
    protected override string SkipReason => string.Empty;

    protected override IRelayTransport CreateTransport(X509Certificate2 certificate, string[] pinned, TimeProvider? time = null) =>
        new TcpTlsRelayTransport(new RelayTransportOptions(certificate, new PeerCertificatePolicy(pinned, null, time ?? TimeProvider.System)));

    [Fact]
    public async Task Strangers_that_connect_and_say_nothing_do_not_hold_up_a_peer()
    {
        // Ten handshake slots, and twenty silent strangers from one address (127.0.0.2): that address gets its
        // share (eight) and the rest are closed at once, so slots remain for a peer (from 127.0.0.1) at once.
        var server = new TcpTlsRelayTransport(new RelayTransportOptions(ServerCertificate, new PeerCertificatePolicy([RelayCertificates.Fingerprint(ClientCertificate)], null, TimeProvider.System)) { MaxConcurrentHandshakes = 10 });
        await using var listener = await server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        var idle = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(listener.LocalEndPoint);
                idle.Add(socket); // connected, never a byte of TLS
            }

            // The handshake timeout is seconds: a listener whose slots the strangers held would keep the peer waiting that long.
            var accepting = listener.AcceptAsync(default).AsTask();
            var peer = CreateTransport(ClientCertificate, [RelayCertificates.Fingerprint(ServerCertificate)]);
            await using var connection = await peer.ConnectAsync(listener.LocalEndPoint, default).WaitAsync(TimeSpan.FromSeconds(3));
            await using var accepted = await accepting.WaitAsync(TimeSpan.FromSeconds(3));
            await RelayMesh.WaitUntilAsync(() => listener.Refused >= 12, TimeSpan.FromSeconds(3));
            Assert.Equal(12, listener.Refused); // past their address's share: closed at once; the other eight wait out their timeout
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[System.Runtime.Versioning.SupportedOSPlatform("windows")]
[System.Runtime.Versioning.SupportedOSPlatform("macos")]
public sealed class QuicRelayTransportTests : RelayTransportConformance
{
    protected override string SkipReason => Msdn.Tests.Common.QuicSupport.IsAvailable ? string.Empty : Msdn.Tests.Common.QuicSupport.Missing;

    protected override IRelayTransport CreateTransport(X509Certificate2 certificate, string[] pinned, TimeProvider? time = null) =>
        new QuicRelayTransport(new RelayTransportOptions(certificate, new PeerCertificatePolicy(pinned, null, time ?? TimeProvider.System)));

    [SkippableFact]
    public async Task A_connection_whose_peer_falls_silent_ends_after_the_idle_timeout_and_keep_alives_hold_a_quiet_one()
    {
        Skip.If(SkipReason.Length > 0, SkipReason);
        RelayTransportOptions Options(X509Certificate2 own, X509Certificate2 peer) =>
            new(own, new PeerCertificatePolicy([RelayCertificates.Fingerprint(peer)], null, TimeProvider.System)) { IdleTimeout = TimeSpan.FromSeconds(1), KeepAliveInterval = TimeSpan.FromMilliseconds(250) };
        await using var listener = await new QuicRelayTransport(Options(ServerCertificate, ClientCertificate)).ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        await using var proxy = new UdpCutProxy(listener.LocalEndPoint);
        var accepting = listener.AcceptAsync(default).AsTask();
        await using var client = await new QuicRelayTransport(Options(ClientCertificate, ServerCertificate)).ConnectAsync(proxy.LocalEndPoint, default);
        await using var server = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        var stream = await client.OpenStreamAsync(default);
        await stream.WriteAsync(new byte[] { 1 });
        var accepted = await server.AcceptStreamAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await accepted.ReadAsync(new byte[1]));

        // Quiet for twice the idle timeout: keep-alives hold the connection open.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stream.WriteAsync(new byte[] { 2 });
        Assert.Equal(1, await accepted.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        // Silence: the connection ends by itself (its streams fail) instead of hanging on a dead peer.
        proxy.Cut();
        var failure = await Record.ExceptionAsync(() => stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.True(RelayStreams.IsConnectionLoss(failure!), failure!.ToString());
    }
}
