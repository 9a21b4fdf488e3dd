using System.Net;
using System.Net.Http.Json;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Api;
using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Api;

/// <summary>The HTTP API of one embedded controller (the no-configuration default), as relays and media engines use it.</summary>
public sealed class RouterApiTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private RouterInstance _router = null!;

    public async Task InitializeAsync() => _router = await RouterInstance.StartAsync();

    public async Task DisposeAsync() => await _router.DisposeAsync();

    [Fact]
    public async Task Reports_become_routes_diffs_tooLongpolls_and_path_answers()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-a", ("room-b", 10, true), ("room-c", 100, true))).StatusCode);
        await _router.ReportAsync("room-b", ("room-a", 10, true), ("room-c", 10, true));
        await _router.ReportAsync("room-c", ("room-a", 100, true), ("room-b", 10, true));

        // A relay fetches the whole table, then long-polls for the next.
        var full = await WaitForTableAsync(t => t.Rooms.Length == 3);
        Assert.Equal("full", (await _router.RoutesAsync("room-a")).Headers.GetValues("X-Msdn-Table").Single()); // no since: the whole table
        Assert.Equal<RoomId>(["room-a", "room-b", "room-c"], full.Find("room-a", "room-c")!.Primary);

        var polling = _router.RoutesAsync("room-a", since: full.Version, wait: 10);
        await _router.ReportAsync("room-b", ("room-a", 10, true), ("room-c", 10, false)); // b→c goes down
        var answer = await polling.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("diff", answer.Headers.GetValues("X-Msdn-Table").Single());
        var next = RouteTableCodec.DecodeDiff(await answer.Content.ReadAsByteArrayAsync(), full).ApplyTo(full);
        Assert.Equal<RoomId>(["room-a", "room-c"], next.Find("room-a", "room-c")!.Primary);

        // Nothing new: a long-poll ends with 304.
        Assert.Equal(HttpStatusCode.NotModified, (await _router.RoutesAsync("room-a", since: next.Version, wait: 0.2)).StatusCode);

        // A media engine's path lookup: hops with their relays, cost, expected RTT and loss.
        var path = await _router.Http.GetFromJsonAsync<PathAnswer>("/v1/paths/room-a/room-b");
        Assert.Equal(["room-a", "room-b"], path!.Primary.Hops.Select(h => h.Room));
        Assert.Equal("127.0.0.1:7506", path.Primary.Hops[1].RelayEndpoint);
        Assert.Equal(10, path.Primary.ExpectedRttMs);
        Assert.Equal(next.Version, path.Version);
        var rooms = await _router.Http.GetFromJsonAsync<RoomSummary[]>("/v1/rooms");
        Assert.Equal(["room-a", "room-b", "room-c"], rooms!.Select(r => r.Room));
        Assert.Equal(HttpStatusCode.OK, (await _router.Http.GetAsync("/readyz")).StatusCode);
        var metrics = await _router.Http.GetStringAsync("/metrics");
        Assert.Contains("http_server_request_duration", metrics, StringComparison.Ordinal);

        // The controller's own figures: what it was sent, what it computed and what it answered.
        Assert.True(Metric(metrics, "msdn_router_reports_total", "format=\"json\"", "kind=\"full\"", "outcome=\"taken\"") >= 4, metrics);
        Assert.True(Metric(metrics, "msdn_router_report_bytes_total", "format=\"json\"") > 4 * 50);
        Assert.True(Metric(metrics, "msdn_router_report_duration_milliseconds_count") >= 4);
        Assert.True(Metric(metrics, "msdn_router_recomputations_total", "outcome=\"published\"") >= 2);
        Assert.True(Metric(metrics, "msdn_router_recompute_duration_milliseconds_count") >= 2);
        Assert.True(Metric(metrics, "msdn_router_routes_answer_bytes_count", "kind=\"diff\"", "scope=\"whole\"") >= 1);
        Assert.True(Metric(metrics, "msdn_router_routes_answer_bytes_count", "kind=\"full\"") >= 1);
        Assert.Equal(1, Metric(metrics, "msdn_router_path_lookups_total", "outcome=\"found\""));
        Assert.Equal(next.Version, Metric(metrics, "msdn_router_table_version"));
        Assert.Equal(3, Metric(metrics, "msdn_router_rooms", "liveness=\"fresh\""));
        Assert.Equal(0, Metric(metrics, "msdn_router_rooms", "liveness=\"unreachable\""));
    }

    [Fact]
    public async Task A_room_of_three_relays_shows_each_and_spreads_a_burst_of_path_lookups_over_them()
    {
        // Three relays of room-a, each at its own endpoint with its own certificate and load; room-b has one.
        foreach (var (node, utilization) in new[] { (1, 0.2), (2, 0.2), (3, 0.2) })
        {
            var report = new RoomReport
            {
                RelayEndpoint = $"10.0.0.{node}:7000",
                ClientEndpoint = $"10.0.0.{node}:7100",
                CertificateFingerprint = new string((char)('A' + node), 64),
                Links = [new LinkEstimate { Peer = "room-b", RttMs = 10 + node }],
                Load = new RelayLoadReport { Flows = 10 * node, Utilization = utilization },
            };
            Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-a", report)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-b", ("room-a", 11, true))).StatusCode);
        RoomSummary? roomA = null;
        PathAnswer? first = null;
        for (var attempt = 0; attempt < 100 && (roomA?.Nodes.Count != 3 || first is null); attempt++)
        {
            roomA = (await _router.Http.GetFromJsonAsync<RoomSummary[]>("/v1/rooms"))!.SingleOrDefault(r => r.Room == "room-a");
            var found = await _router.Http.GetAsync("/v1/paths/room-a/room-b");
            first = found.IsSuccessStatusCode ? await found.Content.ReadFromJsonAsync<PathAnswer>() : null;
            await Task.Delay(RouteTableCache.PollInterval); // this silo's copy follows the route computer's every poll
        }

        Assert.Equal(["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"], roomA!.Nodes.Select(n => n.RelayEndpoint));
        Assert.Equal(60, roomA.Load!.Flows); // the room's load is its relays'
        Assert.Equal(1, roomA.Links);
        Assert.Equal(11, first!.Primary.ExpectedRttMs); // each link as the relays that measure it see it at best

        // 200 media engines asking within a second: each answer names one relay of room-a and lists the others after it.
        var chosen = new List<string>();
        for (var engine = 0; engine < 200; engine++)
        {
            var answer = (await _router.Http.GetFromJsonAsync<PathAnswer>("/v1/paths/room-a/room-b"))!;
            var entry = answer.Primary.Hops[0];
            Assert.Equal(3, entry.ClientEndpoints!.Count);
            Assert.Equal(entry.ClientEndpoint, entry.ClientEndpoints[0]);
            chosen.Add(entry.RelayEndpoint!);
        }

        var spread = chosen.CountBy(c => c).ToDictionary();
        output.WriteLine($"200 lookups over room-a's 3 equally loaded relays: {string.Join(", ", spread.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))}; max/min {(double)spread.Values.Max() / spread.Values.Min():F2}");
        Assert.Equal(3, spread.Count);
        Assert.InRange((double)spread.Values.Max() / spread.Values.Min(), 1.0, 2.0);
    }

    /// <summary>The value of the one series of <paramref name="name"/> whose labels hold all of <paramref name="labels"/>.</summary>
    private static double Metric(string scrape, string name, params string[] labels)
    {
        var series = scrape.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => labels.All(label => l.Contains(label, StringComparison.Ordinal))).ToList();
        Assert.True(series.Count == 1, $"{series.Count} series of {name} with {string.Join(", ", labels)}");
        return double.Parse(series[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Bad_requests_get_clear_4xx_answers_and_the_api_keeps_serving()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "x:1" }, credential: RouterInstance.Credentials.For("room-b"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _router.ReportAsync("room a", new RoomReport())).StatusCode);
        var bad = await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "127.0.0.1:1", Links = [new LinkEstimate { Peer = "room-b", RttMs = -1 }] });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("links[0]", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var malformed = new HttpRequestMessage(HttpMethod.Post, "/v1/rooms/room-a/reports") { Content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json") };
        malformed.Headers.Authorization = new("Bearer", RouterInstance.Credentials.For("room-a"));
        Assert.Equal(HttpStatusCode.BadRequest, (await _router.Http.SendAsync(malformed)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _router.Http.GetAsync("/v1/paths/room-a/room-zz")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _router.RoutesAsync("room-a", since: 1_000_000)).StatusCode);

        // A relay flooding reports is held back (20 per second per room by default).
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => _router.ReportAsync("room-d", ("room-a", 5, true))));
        Assert.Contains(statuses, s => s.StatusCode == HttpStatusCode.TooManyRequests);

        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-a", ("room-b", 10, true))).StatusCode);
    }

    [Fact]
    public async Task Oversized_or_ill_shaped_fields_are_refused_and_unknown_peers_are_counted_back()
    {
        // With Expect: 100-continue, as curl sends it for large bodies: the refusal comes before the body is sent.
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "/v1/rooms/room-a/reports") { Content = JsonContent.Create(new RoomReport { RelayEndpoint = new string('x', 10_000_000) + ":1" }) };
        oversized.Headers.Authorization = new("Bearer", RouterInstance.Credentials.For("room-a"));
        oversized.Headers.ExpectContinue = true;
        await oversized.Content.LoadIntoBufferAsync(); // a Content-Length, so the limit applies before reading
        var huge = await _router.Http.SendAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("at most", await huge.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var tooLong = await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = new string('x', 400) + ":1", ClientEndpoint = "no port" });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var problem = await tooLong.Content.ReadAsStringAsync();
        Assert.Contains("relayEndpoint must be host:port", problem, StringComparison.Ordinal);
        Assert.Contains("clientEndpoint must be host:port", problem, StringComparison.Ordinal);

        var accepted = await _router.ReportAsync("room-a", ("room-b", 10, true), ("nowhere-1", 10, true), ("nowhere-2", 10, true));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(new ReportReceipt(3), await accepted.Content.ReadFromJsonAsync<ReportReceipt>());
        await _router.ReportAsync("room-b", ("room-a", 10, true));
        Assert.Equal(new ReportReceipt(2), await (await _router.ReportAsync("room-a", ("room-b", 10, true), ("nowhere-1", 10, true), ("nowhere-2", 10, true))).Content.ReadFromJsonAsync<ReportReceipt>());
    }

    [Fact]
    public async Task A_relay_s_load_shows_in_the_rooms_and_comes_back_as_its_room_s_load_and_absurd_load_is_refused_naming_the_field()
    {
        var load = new RelayLoadReport { Flows = 3, BytesInPerSecond = 2e6, BytesOutPerSecond = 1.5e6, UnitsInPerSecond = 150, UnitsOutPerSecond = 120, Cpu = 0.4, MemoryBytes = 200L << 20, Utilization = 0.35 };
        var taken = await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "127.0.0.1:7501", Load = load, Links = [new LinkEstimate { Peer = "room-b", RttMs = 10 }] });
        Assert.Equal(HttpStatusCode.Accepted, taken.StatusCode);
        Assert.Equal(0.35, (await taken.Content.ReadFromJsonAsync<ReportReceipt>())!.RoomLoad);

        foreach (var (bad, field) in new[]
        {
            (load with { Flows = -1 }, "load.flows"),
            (load with { Cpu = double.NaN }, "load.cpu"),
            (load with { BytesOutPerSecond = 1e15 }, "load.bytesOutPerSecond"),
            (load with { Utilization = -0.1 }, "load.utilization"),
            (load with { MemoryBytes = long.MaxValue }, "load.memoryBytes"),
        })
        {
            // NaN has no JSON form: that one goes as MessagePack, as relays send their reports.
            var refused = double.IsNaN(bad.Cpu)
                ? await _router.Http.SendAsync(MessagePackReport("room-a", new RoomReport { RelayEndpoint = "127.0.0.1:7501", Load = bad }))
                : await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "127.0.0.1:7501", Load = bad });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(field, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The refusals disturbed nothing: the room shows the load it reported last.
        var deadline = TimeProvider.System.GetTimestamp();
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        RoomSummary? shown;
        while ((shown = (await _router.Http.GetFromJsonAsync<RoomSummary[]>("/v1/rooms"))!.SingleOrDefault(r => r.Room == "room-a"))?.Load is null)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(deadline) < TimeSpan.FromSeconds(10), "room-a's load never showed in /v1/rooms");
            await poll.WaitForNextTickAsync();
        }

        Assert.Equal(load, shown.Load);
    }

    private static HttpRequestMessage MessagePackReport(string room, RoomReport report)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/rooms/{room}/reports") { Content = new ByteArrayContent(MessagePack.MessagePackSerializer.Serialize(report)) };
        request.Content.Headers.ContentType = new("application/x-msgpack");
        request.Headers.Authorization = new("Bearer", RouterInstance.Credentials.For(room));
        return request;
    }

    [Fact]
    public async Task Relays_fetch_the_directory_whole_then_long_poll_for_what_changed()
    {
        await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "10.0.0.1:7000", CertificateFingerprint = new string('A', 64) });
        await _router.ReportAsync("room-b", new RoomReport { RelayEndpoint = "10.0.0.2:7000", ClientEndpoint = "10.0.0.2:7100", CertificateFingerprint = new string('B', 64) });
        DirectoryAnswer? whole = null;
        for (var attempt = 0; attempt < 100 && whole?.Entries.Length != 2; attempt++)
        {
            var answer = await _router.DirectoryAsync("room-a", wait: 0);
            whole = answer.StatusCode == HttpStatusCode.OK ? await answer.Content.ReadFromJsonAsync<DirectoryAnswer>() : null;
            await Task.Delay(RouteTableCache.PollInterval); // this silo's copy follows the route computer's every poll
        }

        Assert.True(whole!.Full);
        Assert.Equal(["room-a", "room-b"], whole.Entries.Select(e => e.Room));
        Assert.Equal("10.0.0.2:7100", whole.Entries[1].ClientEndpoint);

        // Nothing new: 304 after the wait. A relay that moves wakes a waiting poll with a diff of one entry.
        Assert.Equal(HttpStatusCode.NotModified, (await _router.DirectoryAsync("room-a", since: whole.Version, wait: 0.2)).StatusCode);
        var polling = _router.DirectoryAsync("room-a", since: whole.Version, wait: 10);
        await _router.ReportAsync("room-b", new RoomReport { RelayEndpoint = "10.0.0.9:7000", CertificateFingerprint = new string('B', 64) });
        var moved = await (await polling.WaitAsync(TimeSpan.FromSeconds(10))).Content.ReadFromJsonAsync<DirectoryAnswer>();
        Assert.False(moved!.Full);
        Assert.Equal("10.0.0.9:7000", moved.Entries.Single().RelayEndpoint);

        // A version this controller never published (the relay held a directory from a controller that lost its
        // state): the whole directory, marked full, so the relay replaces what it holds rather than patching it.
        var ahead = await (await _router.DirectoryAsync("room-a", since: moved.Version + 1000, wait: 0)).Content.ReadFromJsonAsync<DirectoryAnswer>();
        Assert.True(ahead!.Full);
        Assert.Equal(2, ahead.Entries.Length);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Forged()).StatusCode);

        // A second process at room-b's relay's endpoint with another certificate while that relay reports: refused, naming it.
        var second = await _router.ReportAsync("room-b", new RoomReport { RelayEndpoint = "10.0.0.9:7000", CertificateFingerprint = new string('E', 64) });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("10.0.0.9:7000", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Another relay of room-b at an endpoint of its own joins the room: the directory lists both, each with its certificate.
        var joining = _router.DirectoryAsync("room-a", since: moved.Version, wait: 10);
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-b", new RoomReport { RelayEndpoint = "10.0.0.66:7000", CertificateFingerprint = new string('E', 64) })).StatusCode);
        var joined = await (await joining.WaitAsync(TimeSpan.FromSeconds(10))).Content.ReadFromJsonAsync<DirectoryAnswer>();
        Assert.Equal([("10.0.0.66:7000", new string('E', 64)), ("10.0.0.9:7000", new string('B', 64))], joined!.Entries.Single().Nodes!.Select(n => (n.RelayEndpoint, n.CertificateFingerprint)));
        var bad = await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "10.0.0.1:7000", CertificateFingerprint = "not-hex" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        async Task<HttpResponseMessage> Forged()
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/directory");
            request.Headers.Authorization = new("Bearer", "forged");
            request.Headers.Add(RouterEndpoints.RoomHeader, "room-a");
            return await _router.Http.SendAsync(request);
        }
    }

    [Fact]
    public async Task The_operator_removes_a_room_whose_reports_are_then_refused_until_it_is_admitted_again()
    {
        // Without an operator token configured, rooms cannot be removed at all.
        Assert.Equal(HttpStatusCode.Forbidden, (await Operator(_router, HttpMethod.Delete, "room-a", "anything")).StatusCode);

        await using var router = await RouterInstance.StartAsync("--Router:OperatorToken=operator-token-0123456789");
        Assert.Equal(HttpStatusCode.Accepted, (await router.ReportAsync("room-a", ("room-b", 10, true))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Operator(router, HttpMethod.Delete, "room-a", "wrong-token-0123456789")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(router, HttpMethod.Delete, "room-a", "operator-token-0123456789")).StatusCode);
        var refused = await router.ReportAsync("room-a", ("room-b", 10, true));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("removed by the operator", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await router.RoutesAsync("room-a")).StatusCode); // it learns nothing more of the network
        Assert.Equal(HttpStatusCode.Forbidden, (await router.DirectoryAsync("room-a")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Operator(router, HttpMethod.Put, "room-a", "operator-token-0123456789")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await router.ReportAsync("room-a", ("room-b", 10, true))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await router.DirectoryAsync("room-a")).StatusCode);

        static Task<HttpResponseMessage> Operator(RouterInstance router, HttpMethod method, string room, string token)
        {
            var request = new HttpRequestMessage(method, $"/v1/rooms/{room}");
            request.Headers.Authorization = new("Bearer", token);
            return router.Http.SendAsync(request);
        }
    }

    [Fact]
    public async Task The_operator_removes_one_relay_of_a_room_which_goes_on_as_its_others()
    {
        await using var router = await RouterInstance.StartAsync("--Router:OperatorToken=operator-token-0123456789");
        RoomReport Relay(int node) => new()
        {
            RelayEndpoint = $"10.0.0.{node}:7000",
            ClientEndpoint = $"10.0.0.{node}:7100",
            CertificateFingerprint = new string((char)('A' + node), 64),
            Links = [new LinkEstimate { Peer = "room-b", RttMs = 10 + node }],
        };
        foreach (var node in new[] { 1, 2 })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await router.ReportAsync("room-a", Relay(node))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await router.ReportAsync("room-b", ("room-a", 11, true))).StatusCode);
        Assert.Equal(2, (await DirectoryNodesAsync(2)).Length);

        Assert.Equal(HttpStatusCode.NotFound, (await Operator(HttpMethod.Delete, "/v1/rooms/room-a/relays/10.0.0.9:7000")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Delete, "/v1/rooms/room-a/relays/10.0.0.1:7000")).StatusCode);

        // Out of the directory at once; its reports refused, saying why; the room goes on as its other relay.
        Assert.Equal(["10.0.0.2:7000"], await DirectoryNodesAsync(1));
        var refused = await router.ReportAsync("room-a", Relay(1));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("10.0.0.1:7000 was removed from room room-a", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, (await router.ReportAsync("room-a", Relay(2))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Operator(HttpMethod.Delete, "/v1/rooms/room-a/relays/10.0.0.2:7000")).StatusCode); // the last one: remove the room

        // Admitting the room admits its removed relays again.
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Put, "/v1/rooms/room-a")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await router.ReportAsync("room-a", Relay(1))).StatusCode);
        Assert.Equal(2, (await DirectoryNodesAsync(2)).Length);

        // Room-a's relays as the directory lists them, once it lists this many (this silo's copy follows the route computer's every poll).
        async Task<string[]> DirectoryNodesAsync(int count)
        {
            string[] listed = [];
            for (var attempt = 0; attempt < 100 && listed.Length != count; attempt++)
            {
                using var answer = await router.DirectoryAsync("room-b", wait: 0);
                var entry = answer.StatusCode == HttpStatusCode.OK ? (await answer.Content.ReadFromJsonAsync<DirectoryAnswer>())!.Entries.SingleOrDefault(e => e.Room == "room-a") : null;
                listed = entry is null ? [] : [.. entry.Nodes?.Select(n => n.RelayEndpoint) ?? [entry.RelayEndpoint]];
                if (listed.Length != count)
                {
                    await Task.Delay(RouteTableCache.PollInterval);
                }
            }

            return listed;
        }

        Task<HttpResponseMessage> Operator(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new("Bearer", "operator-token-0123456789");
            return router.Http.SendAsync(request);
        }
    }

    [Fact]
    public async Task A_stranger_flooding_a_room_s_reports_spends_its_own_allowance_not_the_room_s()
    {
        // Without a credential, or with another room's: refused, then held back per address.
        var forged = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => _router.ReportAsync("room-c", new RoomReport { RelayEndpoint = "x:1" }, credential: i % 2 == 0 ? "forged" : RouterInstance.Credentials.For("room-b"))));
        Assert.All(forged, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.Contains(forged, r => r.StatusCode == HttpStatusCode.TooManyRequests);

        // The room's own relay still reports, in the same second.
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-c", ("room-a", 7, true))).StatusCode);
    }

    private async Task<RouteTable> WaitForTableAsync(Func<RouteTable, bool> ready)
    {
        long? since = null;
        var table = RouteTable.Empty;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var answer = await _router.RoutesAsync("room-a", since, wait: 1);
            if (answer.StatusCode == HttpStatusCode.OK)
            {
                var kind = answer.Headers.GetValues("X-Msdn-Table").Single();
                var bytes = await answer.Content.ReadAsByteArrayAsync();
                table = kind == "full" ? RouteTableCodec.Decode(bytes) : RouteTableCodec.DecodeDiff(bytes, table).ApplyTo(table);
                if (ready(table))
                {
                    return table;
                }
            }

            since = table.Version;
        }

        throw new TimeoutException("the route table never became ready");
    }
}
