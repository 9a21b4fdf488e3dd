using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using Msdn.Overlay.Hosting;
using Msdn.Overlay.Security;
using Msdn.Overlay.Transport;
using Msdn.Tokens;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// The loopback drill's overlay: the real controller and the rooms' real relays (one per room, or
/// <see cref="WorldSpec.NodesPerRoom"/>, named <c>room-N/k</c>), as processes on 127.0.0.1 or each in its own
/// network namespace (<see cref="DrillNetwork"/>), each relay with its probe agent, its client port (media-engine
/// tokens), its admin endpoint (link impairment, drain) and its control link through one cuttable proxy (controller
/// outages). Links carry the world's delays in the relays' impairment layer, at every relay of a room.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly byte[] _tokenKey = RandomNumberGenerator.GetBytes(32);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _adminToken = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RelayEndpoints> _endpoints = new(); // a soak restarts relays while flows look them up
    private readonly Dictionary<string, (string[] Args, int Host)> _relayArgs = [];
    private readonly Dictionary<string, int> _starts = [];

    private readonly DrillNetwork _network;

    private LoopbackCluster(string dir, DrillNetwork network, ChildProcess controller, Uri controllerUrl, TcpCutProxy controlProxy)
    {
        _dir = dir;
        _network = network;
        Controller = controller;
        ControllerUrl = controllerUrl;
        ControlProxy = controlProxy;
        Tokens = new MediaTokens(_tokenKey, TimeProvider.System);
    }

    public ChildProcess Controller { get; }

    public Uri ControllerUrl { get; }

    /// <summary>Between every relay and the controller: cutting it makes the controller unreachable.</summary>
    public TcpCutProxy ControlProxy { get; }

    /// <summary>The relay processes, by relay name: the room's name with one relay per room, <c>room-N/k</c> with several.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, ChildProcess> Relays { get; } = new();

    /// <summary>Relays per room.</summary>
    public int NodesPerRoom { get; private init; } = 1;

    /// <summary>The name of room <paramref name="room"/>'s relay number <paramref name="node"/>.</summary>
    public string RelayName(string room, int node) => NodesPerRoom == 1 ? room : $"{room}/{node.ToString(Inv)}";

    /// <summary>The room a relay (or a room) name belongs to.</summary>
    public static string RoomOf(string relayOrRoom)
    {
        ArgumentNullException.ThrowIfNull(relayOrRoom);
        var slash = relayOrRoom.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? relayOrRoom : relayOrRoom[..slash];
    }

    /// <summary>The relays of <paramref name="relayOrRoom"/>: all of a room's, or the one named.</summary>
    public IReadOnlyList<string> RelaysOf(string relayOrRoom) =>
        relayOrRoom.Contains('/', StringComparison.Ordinal) || NodesPerRoom == 1
            ? [relayOrRoom]
            : [.. Enumerable.Range(0, NodesPerRoom).Select(k => RelayName(relayOrRoom, k))];

    /// <summary>The relays of a room whose process runs.</summary>
    public IReadOnlyList<string> LiveRelaysOf(string room) => [.. RelaysOf(room).Where(r => Relays.TryGetValue(r, out var p) && !p.HasExited)];

    /// <summary>
    /// Where a subscriber in <paramref name="room"/> connects: every relay of the room (a flow to its endpoint arrives at
    /// one of them, and goes on through another when that one dies).
    /// </summary>
    public IReadOnlyList<EndPoint> SubscriberPorts(string room) => [.. LiveRelaysOf(room).Select(r => (EndPoint)_endpoints[r].Client)];

    /// <summary>
    /// The client ports a media engine in <paramref name="from"/> writes a flow to <paramref name="to"/> through: the path
    /// lookup's answer (its entry relay first, then the room's other serving relays), or every live relay of the room
    /// when the answer names none.
    /// </summary>
    public async Task<IReadOnlyList<EndPoint>> EntryPortsAsync(string from, string to)
    {
        using var response = await _http.GetAsync(new Uri(ControllerUrl, $"/v1/paths/{from}/{to}")).ConfigureAwait(false);
        var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<Msdn.Router.Api.PathAnswer>().ConfigureAwait(false) : null;
        var listed = answer is { Primary.Hops.Count: > 0 } ? answer.Primary.Hops[0].ClientEndpoints?.Select(e => IPEndPoint.TryParse(e, out var parsed) ? parsed : null).OfType<EndPoint>().ToList() : null;
        return listed is { Count: > 0 } ? listed : [.. LiveRelaysOf(from).Select(r => (EndPoint)_endpoints[r].Client)];
    }

    /// <summary>The relay whose client port is <paramref name="port"/>, if any.</summary>
    public string? RelayAt(EndPoint port) => _endpoints.FirstOrDefault(e => e.Value.Client.Equals(port)).Key;

    public MediaTokens Tokens { get; }

    public IReadOnlyDictionary<string, RelayEndpoints> Endpoints => _endpoints;

    public static async Task<LoopbackCluster> StartAsync(Scenario scenario, GeneratedWorld world, string dir, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(progress);
        var bin = AppContext.BaseDirectory;
        var reportKey = RandomNumberGenerator.GetBytes(32);
        var reportKeyFile = Path.Combine(dir, "report.key");
        Msdn.Tokens.SecretFile.Write(reportKeyFile, Convert.ToBase64String(reportKey)); // keys never on a command line
        var settings = scenario.Settings;
        var nodes = scenario.World.NodesPerRoom;
        var network = await DrillNetwork.CreateAsync(settings.Network, (world.Rooms * nodes) + 1).ConfigureAwait(false);
        ChildProcess controller;
        string line;
        try
        {
            (controller, line) = await StartControllerAsync(network, dir, reportKeyFile, settings).ConfigureAwait(false);
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var controllerUrl = new Uri(line.Split(',')[0].Trim());
        var proxy = new TcpCutProxy(new DnsEndPoint(controllerUrl.Host, controllerUrl.Port), new IPEndPoint(network.Harness, 0));
        var cluster = new LoopbackCluster(dir, network, controller, controllerUrl, proxy) { NodesPerRoom = nodes };
        progress.WriteLine($"controller on {controllerUrl} (log {Path.Combine(dir, "controller.log")}){(network.NamespaceOf(0) is { } ns ? $", in network namespace {ns}" : string.Empty)}");
        try
        {
            await cluster.StartRelaysAsync(scenario, world, reportKey, progress).ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    /// <summary>The world's distance on every link: half the RTT each way, in relay streams and probes.</summary>
    public async Task ApplyDistancesAsync(GeneratedWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        for (var i = 0; i < world.Rooms; i++)
        {
            for (var j = 0; j < world.Rooms; j++)
            {
                if (i != j)
                {
                    await ImpairAsync(ScenarioLoader.RoomName(i), ScenarioLoader.RoomName(j), new { delayMs = world.Rtt[i, j] / 2 }).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Impairs the link from <paramref name="from"/> (a room: each of its relays; or one relay) to room <paramref name="to"/>.</summary>
    public async Task ImpairAsync(string from, string to, object impairment)
    {
        foreach (var name in RelaysOf(from))
        {
            if (!Relays.TryGetValue(name, out var relay) || relay.HasExited)
            {
                continue; // a killed relay has no links to impair
            }

            await ChangeAsync(HttpMethod.Put, new Uri(_endpoints[name].Admin, $"/admin/links/{to}"), JsonContent.Create(impairment)).ConfigureAwait(false);
        }
    }

    /// <summary>Drains a relay (by its name; a room's name with one relay per room).</summary>
    public Task DrainAsync(string relay) => ChangeAsync(HttpMethod.Post, new Uri(_endpoints[relay].Admin, "/admin/drain"), null);

    /// <summary>A change through a relay's admin endpoint, with its admin token.</summary>
    private async Task ChangeAsync(HttpMethod method, Uri uri, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Authorization = new("Bearer", _adminToken);
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public async Task<RelayHealth?> HealthAsync(string room)
    {
        try
        {
            return await _http.GetFromJsonAsync<RelayHealth>(new Uri(_endpoints[room].Admin, "/health")).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A relay's Prometheus scrape, or null when it does not answer (killed).</summary>
    public async Task<string?> MetricsAsync(string room, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.GetStringAsync(new Uri(_endpoints[room].Admin, "/metrics"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The controller's current primary path for a pair (rooms in order), or null.</summary>
    public async Task<(string[] Rooms, double? ExpectedRttMs, long Version)?> PathAsync(string from, string to)
    {
        using var response = await _http.GetAsync(new Uri(ControllerUrl, $"/v1/paths/{from}/{to}")).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var answer = await response.Content.ReadFromJsonAsync<Msdn.Router.Api.PathAnswer>().ConfigureAwait(false);
        return answer is null ? null : ([.. answer.Primary.Hops.Select(h => h.Room)], answer.Primary.ExpectedRttMs, answer.Version);
    }

    /// <summary>Where a flow runs now, as its ingress relay says (whichever of the room's relays carries it; null when none can say).</summary>
    public async Task<string[]?> FlowPathAsync(string room, ulong flowId)
    {
        var id = flowId.ToString(Inv);
        foreach (var relay in LiveRelaysOf(room))
        {
            try
            {
                var flows = await _http.GetFromJsonAsync<FlowStatus[]>(new Uri(_endpoints[relay].Admin, "/admin/flows")).ConfigureAwait(false);
                if (flows?.FirstOrDefault(f => f.Id == id)?.Path.ToArray() is { } path)
                {
                    return path;
                }
            }
            catch (HttpRequestException)
            {
                // killed meanwhile: the next relay of the room may carry it
            }
        }

        return null;
    }

    public async Task<long> TableVersionAsync()
    {
        var ready = await _http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri(ControllerUrl, "/readyz")).ConfigureAwait(false);
        return ready.GetProperty("version").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var relay in Relays.Values)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
        }

        await Controller.DisposeAsync().ConfigureAwait(false);
        await ControlProxy.DisposeAsync().ConfigureAwait(false);
        await _network.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }

    private static System.Globalization.CultureInfo Inv => System.Globalization.CultureInfo.InvariantCulture;

    private async Task StartRelaysAsync(Scenario scenario, GeneratedWorld world, byte[] reportKey, TextWriter progress)
    {
        var credentials = new Msdn.Router.Api.RoomCredentials(reportKey);
        var rooms = Enumerable.Range(0, world.Rooms).Select(ScenarioLoader.RoomName).ToList();

        var probeKeyFile = Path.Combine(_dir, "probe.key");
        Msdn.Tokens.SecretFile.Write(probeKeyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var adminTokenFile = Path.Combine(_dir, "admin.token");
        Msdn.Tokens.SecretFile.Write(adminTokenFile, _adminToken);
        var tokenKeyFile = Path.Combine(_dir, "media-token.key");
        Msdn.Tokens.SecretFile.Write(tokenKeyFile, Convert.ToBase64String(_tokenKey));
        var settings = scenario.Settings;
        var relays = rooms.SelectMany(room => Enumerable.Range(0, NodesPerRoom).Select(k => (Room: room, Name: RelayName(room, k))));
        foreach (var ((room, name), host) in relays.Select((r, i) => (r, i + 1)))
        {
            // Each relay binds port 0 everywhere and joins through the controller: no peers, no pinned certificates.
            // A room's relays share its credential; each has its own data directory (its own key and certificate).
            var address = _network.HostAddress(host);
            var credentialFile = Path.Combine(_dir, $"{room}.credential");
            Msdn.Tokens.SecretFile.Write(credentialFile, credentials.For(room));
            string[] args =
            [
                "--room", room, "--listen", $"{address}:0", "--data-dir", Path.Combine(_dir, name.Replace('/', '-')),
                "--admin", $"{address}:0", "--client-listen", $"{address}:0",
                "--controller", $"http://{ControlProxy.LocalEndPoint}", "--credential-file", credentialFile, "--transport", settings.Transport,
                $"--Relay:MediaTokenKeyFile={tokenKeyFile}", $"--Relay:AdminTokenFile={adminTokenFile}", $"--Relay:AckTimeout={TimeSpan.FromMilliseconds(settings.AckTimeoutMs)}", $"--Relay:DrainTimeout={TimeSpan.FromMilliseconds(settings.DrainTimeoutMs)}",
                $"--Relay:Capacity:Flows={settings.CapacityFlows}",
                $"--Relay:ProbeClusterKeyFile={probeKeyFile}", $"--Probe:BaseInterval={TimeSpan.FromMilliseconds(settings.ProbeIntervalMs)}",
                $"--Probe:FastInterval={TimeSpan.FromMilliseconds(settings.ProbeFastIntervalMs)}", $"--Probe:DownAfterLosses={settings.DownAfterLosses}",
                "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Msdn=Information", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
            ];

            _relayArgs[name] = (args, host);
            await StartRelayAsync(name).ConfigureAwait(false);
        }

        progress.WriteLine($"{_relayArgs.Count} relays started{(NodesPerRoom > 1 ? $" ({NodesPerRoom} per room)" : string.Empty)} (logs in {_dir}){(_network.NamespaceOf(1) is null ? string.Empty : $", each in its own network namespace on {_network.Harness}/24")}");
    }

    /// <summary>
    /// Starts a room's relay again after it was killed: same identity and data directory, new ports (port 0 again),
    /// found by its peers through the controller's directory. Its log is a new file (<c>room-N.2.log</c>, ...).
    /// </summary>
    public async Task RestartRelayAsync(string room)
    {
        if (Relays.TryRemove(room, out var old))
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }

        await StartRelayAsync(room).ConfigureAwait(false);
    }

    /// <summary>A media engine's token for <paramref name="room"/>'s client port, valid for an hour.</summary>
    public string MediaToken(string room, string[] open, string[] subscribe) =>
        Tokens.Issue(new MediaTokenClaims("msdn-sim", room, open, subscribe, TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds()));

    private async Task StartRelayAsync(string room)
    {
        var (args, host) = _relayArgs[room];
        var start = _starts[room] = _starts.GetValueOrDefault(room) + 1;
        var file = room.Replace('/', '-');
        var log = Path.Combine(_dir, start == 1 ? $"{file}.log" : $"{file}.{start}.log");

        // Ready once its admin endpoint listens (the last to start), which says where; /health says the rest.
        var (relay, adminUrl) = await ChildProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "msdn-relay.dll"), log, "Now listening on: ", args, TimeSpan.FromSeconds(60), _network.NamespaceOf(host)).ConfigureAwait(false);
        Relays[room] = relay;
        var admin = new Uri(adminUrl.Trim());
        var health = await _http.GetFromJsonAsync<RelayHealth>(new Uri(admin, "/health")).ConfigureAwait(false) ?? throw new InvalidOperationException($"{room}'s relay has no health to report");
        _endpoints[room] = new RelayEndpoints(IPEndPoint.Parse(health.Listen), IPEndPoint.Parse(health.ClientListen ?? throw new InvalidOperationException($"{room}'s relay has no client port")), admin);
    }

    /// <summary>
    /// Starts the controller, ready once its API listens (on port 0, reported in its log). It runs no Orleans gateway
    /// (port 0: nothing connects as a client). Orleans must be told its silo port before it binds it, and cannot take
    /// 0: in a namespace of its own the default is free; on a shared loopback, a fixed port of this process's
    /// (<see cref="LoopbackPorts.Silo"/>), which another process may hold: then the controller says so in its log, and
    /// it starts again on the next.
    /// </summary>
    private static async Task<(ChildProcess, string)> StartControllerAsync(DrillNetwork network, string dir, string reportKeyFile, SettingsSpec settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            var siloPort = network.PortsArePrivate ? 11111 : LoopbackPorts.Silo();
            var log = Path.Combine(dir, "controller.log");
            try
            {
                return await ChildProcess.StartAsync(
                    Path.Combine(AppContext.BaseDirectory, "msdn-router.dll"),
                    log,
                    "API on ",
                    [
                        "--listen", $"{network.HostAddress(0)}:0", "--silo-port", siloPort.ToString(Inv), "--gateway-port", "0", "--report-key-file", reportKeyFile,
                        "--data-directory", Path.Combine(dir, "controller-data"),
                        "--Router:RecomputeInterval=00:00:00.500",
                        $"--CostModel:JitterWeight={settings.JitterWeight.ToString(Inv)}", $"--Hysteresis:MarginMs={settings.HysteresisMarginMs.ToString(Inv)}",
                    ],
                    TimeSpan.FromSeconds(60),
                    network.NamespaceOf(0)).ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (attempt < 8 && !network.PortsArePrivate && File.ReadAllText(log).Contains("address is already in use", StringComparison.Ordinal))
            {
            }
        }
    }
}

/// <summary>Where a drill relay listens: peers, media engines, operators.</summary>
public sealed record RelayEndpoints(IPEndPoint Relay, IPEndPoint Client, Uri Admin);
