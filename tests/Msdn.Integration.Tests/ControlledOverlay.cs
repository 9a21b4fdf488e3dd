using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Msdn.Overlay.Hosting;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Msdn.Router.Api;
using Msdn.Router.Hosting;
using Msdn.Sim.Drills.Loopback;

namespace Msdn.Integration.Tests;

/// <summary>
/// A real controller and real relays on 127.0.0.1, each relay with its probe agent, reporting to the
/// controller (room-a through a cuttable proxy, so its direct control connection can be cut) and
/// following its route tables.
/// </summary>
internal sealed class ControlledOverlay : IAsyncDisposable
{
    private readonly string _dir;
    private readonly TimeSpan _certificateLifetime;

    private readonly byte[] _reportKey;
    private string _probeKey = string.Empty;

    private ControlledOverlay(string dir, TimeSpan certificateLifetime, WebApplication router, TcpCutProxy proxy, byte[] reportKey)
    {
        _dir = dir;
        _certificateLifetime = certificateLifetime;
        Router = router;
        ControlProxy = proxy;
        _reportKey = reportKey;
    }

    public WebApplication Router { get; private set; }

    /// <summary>What operators present to remove or admit a room.</summary>
    public const string OperatorToken = "operator-token-for-the-tests";

    /// <summary>Between room-a's relay and the controller.</summary>
    public TcpCutProxy ControlProxy { get; }

    public Dictionary<string, WebApplication> Relays { get; } = [];

    public static Task<ControlledOverlay> StartAsync(params string[] rooms) => StartAsync(joinThroughController: false, rooms);

    /// <summary>
    /// With <paramref name="joinThroughController"/>, each relay gets only its room, the controller, its
    /// credential and the probe key, and binds port 0: it learns its peers, their endpoints and whom to trust
    /// from the controller's directory. Otherwise every relay is told every peer's port and pinned certificate.
    /// </summary>
    public static Task<ControlledOverlay> StartAsync(bool joinThroughController, params string[] rooms) => StartAsync(joinThroughController, TimeSpan.FromDays(7), rooms);

    /// <param name="certificateLifetime">How long the certificates the controller's CA signs for relays live (relays renew at two thirds).</param>
    public static async Task<ControlledOverlay> StartAsync(bool joinThroughController, TimeSpan certificateLifetime, params string[] rooms)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var dir = Directory.CreateTempSubdirectory("overlay-").FullName;
        var router = await StartRouterAsync("127.0.0.1:0", key, dir, certificateLifetime);
        var controller = new Uri(router.Urls.First());
        var overlay = new ControlledOverlay(dir, certificateLifetime, router, new TcpCutProxy(new DnsEndPoint(controller.Host, controller.Port)), key);
        var ports = rooms.ToDictionary(r => r, _ => LoopbackPorts.RelayPort());
        var fingerprints = new List<string>();
        foreach (var room in rooms)
        {
            using var certificate = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(overlay._dir, room), room, TimeProvider.System);
            fingerprints.Add(RelayCertificates.Fingerprint(certificate));
        }

        overlay._probeKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        foreach (var room in rooms)
        {
            var via = room == rooms[0] ? $"http://{overlay.ControlProxy.LocalEndPoint}" : controller.ToString();
            string[] peers = joinThroughController
                ? []
                : [
                    .. rooms.Where(p => p != room).Select(p => $"--Relay:Peers:{p}=127.0.0.1:{ports[p]}"),
                    .. fingerprints.Select((f, i) => $"--Relay:PinnedFingerprints:{i}={f}"),
                ];
            await overlay.AddRelayAsync(room, via, joinThroughController ? "127.0.0.1:0" : $"127.0.0.1:{ports[room]}", peers);
        }

        if (!joinThroughController)
        {
            // Every link 10 ms each way: routes follow real distances, not loopback noise.
            foreach (var room in rooms)
            {
                foreach (var peer in rooms.Where(p => p != room))
                {
                    overlay.Relay(room).Impair(peer, Distance);
                }
            }
        }

        return overlay;
    }

    /// <summary>Starts one more relay that joins through the controller: its room, the controller, its credential, port 0, and any <paramref name="settings"/>.</summary>
    public Task AddRelayAsync(string room, params string[] settings) => AddRelayAsync(room, room, Router.Urls.First(), "127.0.0.1:0", settings);

    /// <summary>Starts one more relay of <paramref name="room"/> (which may have relays already), known here as <paramref name="name"/>.</summary>
    public Task AddNodeAsync(string room, string name, params string[] settings) => AddRelayAsync(name, room, Router.Urls.First(), "127.0.0.1:0", settings);

    private Task AddRelayAsync(string room, string controller, string listen, string[] peers) => AddRelayAsync(room, room, controller, listen, peers);

    private async Task AddRelayAsync(string name, string room, string controller, string listen, string[] peers)
    {
        string[] args =
        [
            "--room", room, "--listen", listen, "--data-dir", Path.Combine(_dir, name.Replace('/', '-')), "--admin", "127.0.0.1:0",
            "--controller", controller, $"--Relay:ControllerCredential={new RoomCredentials(_reportKey).For(room)}",
            $"--Probe:ClusterKey={_probeKey}", "--Probe:BaseInterval=00:00:00.100", "--Probe:FastInterval=00:00:00.050", "--Probe:ProbeTimeout=00:00:00.100",
            .. peers,
        ];
        var relay = RelayHost.Build(args);
        await relay.StartAsync();
        Relays[name] = relay;
    }

    private static async Task<WebApplication> StartRouterAsync(string listen, byte[] key, string dir, TimeSpan certificateLifetime)
    {
        // Orleans binds no port 0: a fixed silo port of this process's, and the next one when another holds it.
        for (var attempt = 1; ; attempt++)
        {
            var router = RouterHost.Build([
                "--data-directory", Path.Combine(dir, "controller"), $"--Router:RelayCertificateLifetime={certificateLifetime}",
                "--listen", listen, "--silo-port", LoopbackPorts.Silo().ToString(System.Globalization.CultureInfo.InvariantCulture), "--gateway-port", "0",
                $"--Router:ReportKey={Convert.ToBase64String(key)}", "--Router:RecomputeInterval=00:00:00.250", $"--Router:OperatorToken={OperatorToken}"]);
            try
            {
                await router.StartAsync();
                return router;
            }
            catch (Exception e) when (attempt < 8 && RouterHost.InUse(e))
            {
                await router.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The controller stops and a new one starts on the same address with no state (in-memory storage, as a
    /// controller whose storage was lost): its table versions start again from the beginning.
    /// </summary>
    public async Task RestartRouterAsync()
    {
        var listen = new Uri(Router.Urls.First()).Authority;
        await Router.StopAsync();
        await Router.DisposeAsync();
        Router = await StartRouterAsync(listen, _reportKey, _dir, _certificateLifetime);
    }

    /// <summary>The impairment every link carries in this world: 10 ms each way.</summary>
    public static Msdn.Probe.Transport.LinkImpairment Distance { get; } = new(TimeSpan.FromMilliseconds(10));

    public RelayRuntime Relay(string room) => Relays[room].Services.GetRequiredService<RelayRuntime>();

    /// <summary>Sends <paramref name="bytes"/> random bytes from one relay to a subscriber at another and checks they all arrived, in order.</summary>
    public async Task CarryAsync(string from, string to, int bytes = 64 * 1024)
    {
        var endpoint = $"carry-{Guid.NewGuid():N}";
        var sink = Relay(to).Node!.Subscribe(endpoint);
        var flow = await Relay(from).Node!.OpenFlowAsync(new Msdn.Graph.Topology.RoomId(to), endpoint);
        var sent = RandomNumberGenerator.GetBytes(bytes);
        await flow.WriteAsync(sent);
        flow.CompleteWriting();
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        var incoming = await sink.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Xunit.Assert.Equal(sent, await incoming.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var relay in Relays.Values)
        {
            await relay.StopAsync();
            await relay.DisposeAsync();
        }

        await ControlProxy.DisposeAsync();
        await Router.StopAsync();
        await Router.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    public static async Task<TimeSpan> WaitUntilAsync(Func<bool> condition, TimeSpan limit, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "")
    {
        var started = TimeProvider.System.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < limit, $"timed out after {limit.TotalSeconds} s waiting for {what}");
            await timer.WaitForNextTickAsync();
        }

        return TimeProvider.System.GetElapsedTime(started);
    }
}
