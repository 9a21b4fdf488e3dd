using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Hosting;
using Msdn.Overlay.Security;
using Msdn.Probe.Detection;
using Msdn.Sim.Drills.Loopback;
using Msdn.Tests.Common;

namespace Msdn.Overlay.Tests.Hosting;

/// <summary>
/// Two relays as the executable runs them (<see cref="RelayHost"/>: command line, probe agent, gateway,
/// admin endpoint, metrics) on 127.0.0.1, driven over HTTP as an operator would; once per transport.
/// </summary>
public abstract class RelayExecutableTests(string transport, string runs) : IAsyncLifetime, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-exe-").FullName;
    private readonly TcpListener _camera = new(IPAddress.Loopback, 0);
    private static readonly string AdminToken = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly HttpClient _http = new();
    private WebApplication _a = null!, _c = null!;

    private bool Skipped => transport == "quic" && !QuicSupport.IsAvailable;

    public async Task InitializeAsync()
    {
        if (Skipped)
        {
            return;
        }

        _camera.Start();
        var routes = Path.Combine(_dir, "routes.msgpack");
        var table = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions())
            .Compute(TopologySnapshot.Create(["room-a", "room-c"], [new Link("room-a", "room-c", LinkQuality.FromRtt(10)), new Link("room-c", "room-a", LinkQuality.FromRtt(10))]));
        await File.WriteAllBytesAsync(routes, RouteTableCodec.Encode(table));
        string[] rooms = ["room-a", "room-c"];
        var fingerprints = new List<string>();
        foreach (var room in rooms)
        {
            using var certificate = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, room), room, TimeProvider.System);
            fingerprints.Add(RelayCertificates.Fingerprint(certificate));
        }

        var ports = rooms.ToDictionary(r => r, _ => LoopbackPorts.RelayPort());
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var adminToken = Path.Combine(_dir, "admin.token");
        Msdn.Tokens.SecretFile.Write(adminToken, AdminToken);
        _http.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        string[] Common(string room, string peer) =>
        [
            "--room", room, "--listen", $"127.0.0.1:{ports[room]}", "--data-dir", Path.Combine(_dir, room), "--routes", routes, "--admin", "127.0.0.1:0", "--transport", transport,
            $"--Relay:Peers:{peer}=127.0.0.1:{ports[peer]}", $"--Relay:PinnedFingerprints:0={fingerprints[0]}", $"--Relay:PinnedFingerprints:1={fingerprints[1]}",
            $"--Probe:ClusterKey={key}", $"--Relay:AdminTokenFile={adminToken}", "--Probe:BaseInterval=00:00:00.100", "--Probe:FastInterval=00:00:00.050", "--Probe:ProbeTimeout=00:00:00.100",
        ];
        _a = RelayHost.Build([.. Common("room-a", "room-c"), "--forward", "127.0.0.1:0=room-c/camera"]);
        _c = RelayHost.Build([.. Common("room-c", "room-a"), "--deliver", $"camera={_camera.LocalEndpoint}"]);
        await _a.StartAsync();
        await _c.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Skipped)
        {
            Directory.Delete(_dir, recursive: true);
            return;
        }

        await _a.StopAsync();
        await _c.StopAsync();
        await _a.DisposeAsync();
        await _c.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    public void Dispose()
    {
        _camera.Dispose();
        _http.Dispose();
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public async Task An_operator_sees_health_metrics_and_drives_impairment_and_drain_over_http()
    {
        Skip.If(Skipped, QuicSupport.Missing);
        var health = await _http.GetFromJsonAsync<RelayHealth>(Admin(_a, "/health"));
        Assert.Equal(("room-a", "Serving", true, runs), (health!.Room, health.State, health.Probing, health.Transport));
        Assert.NotEqual(health.Listen, health.ProbeListen); // QUIC holds the relay's port on UDP: probes sit beside it

        // A plain TCP application's bytes reach the deliver target through both relays.
        var receiving = Task.Run(async () =>
        {
            using var accepted = await _camera.AcceptTcpClientAsync();
            using var all = new MemoryStream();
            await accepted.GetStream().CopyToAsync(all);
            return all.ToArray();
        });
        var sent = RandomNumberGenerator.GetBytes(512 * 1024);
        using (var application = new TcpClient())
        {
            await application.ConnectAsync((IPEndPoint)Relay(_a).Gateway!.ForwardEndPoints[0]);
            await application.GetStream().WriteAsync(sent);
        }

        Assert.Equal(sent, await receiving.WaitAsync(TimeSpan.FromSeconds(30)));
        var metrics = await _http.GetStringAsync(Admin(_c, "/metrics"));
        Assert.Contains("msdn_relay_bytes", metrics, StringComparison.Ordinal);
        Assert.Contains("msdn_relay_probe_loss_bursts", metrics, StringComparison.Ordinal);
        Assert.Matches(@"msdn_relay_probe_requests\S*\{[^}]*\} [1-9]", metrics); // its agent has been probing
        Assert.Contains("msdn_relay_probe_rejected", metrics, StringComparison.Ordinal);

        // Cutting the link in the impairment layer: the probe agent declares it down; clearing it, up. It must
        // be up first (on a warm machine this test gets here before three probes have answered).
        var changes = System.Threading.Channels.Channel.CreateUnbounded<LinkState>();
        using var _ = Relay(_a).Probe!.Subscribe(change => changes.Writer.TryWrite(change.State));
        async Task Next(LinkState state)
        {
            while (await changes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)) != state)
            {
            }
        }

        if (Relay(_a).Probe!.Snapshot().Single().State != LinkState.Up)
        {
            await Next(LinkState.Up);
        }

        (await _http.PutAsJsonAsync(Admin(_a, "/admin/links/room-c"), new LinkImpairmentRequest(Cut: true))).EnsureSuccessStatusCode();
        await Next(LinkState.Down);
        (await _http.DeleteAsync(Admin(_a, "/admin/links/room-c"))).EnsureSuccessStatusCode();
        await Next(LinkState.Up);

        // Bad admin requests get clear 4xx answers.
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PutAsJsonAsync(Admin(_a, "/admin/links/room-z"), new LinkImpairmentRequest(Cut: true))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PutAsJsonAsync(Admin(_a, "/admin/links/room-c"), new LinkImpairmentRequest(Loss: 2))).StatusCode);

        // Changes need the admin token; a browser's cross-site request or a rebound host name is refused.
        using var stranger = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.PostAsync(Admin(_a, "/admin/drain"), null)).StatusCode);
        var rebound = new HttpRequestMessage(HttpMethod.Post, Admin(_a, "/admin/drain"));
        rebound.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(rebound)).StatusCode);
        var crossSite = new HttpRequestMessage(HttpMethod.Post, Admin(_a, "/admin/drain"));
        crossSite.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(crossSite)).StatusCode);
        Assert.Equal("Serving", Relay(_a).Node!.State.ToString());

        // Drain with no flows left: drained at once; serve again.
        var drained = await (await _http.PostAsync(Admin(_a, "/admin/drain"), null)).Content.ReadFromJsonAsync<RelayHealth>();
        Assert.Equal("Drained", drained!.State);
        var serving = await (await _http.PostAsync(Admin(_a, "/admin/serve"), null)).Content.ReadFromJsonAsync<RelayHealth>();
        Assert.Equal("Serving", serving!.State);
    }

    private static RelayRuntime Relay(WebApplication app) => app.Services.GetRequiredService<RelayRuntime>();

    private static Uri Admin(WebApplication app, string path) => new(new Uri(app.Urls.First()), path);
}

public sealed class RelayExecutableOverQuicTests() : RelayExecutableTests("quic", "quic");

public sealed class RelayExecutableOverTcpTests() : RelayExecutableTests("tcp", "tcp+tls");
