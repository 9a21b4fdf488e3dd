using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MessagePack;
using Msdn.Overlay.Control;

namespace Msdn.Load;

/// <summary>
/// Every room reports once a second against one silo while its links drift (<see cref="DriftingLinks"/>): does the
/// silo keep up, recompute and publish every second, and at what CPU and allocation cost? Reports are what relays
/// send (<see cref="ReportNews{TKey}"/>: the news since the report the controller took), or with
/// <c>--reports full</c> every link every time. A room sends its next report once the last one is answered, as a relay does.
/// </summary>
internal static class IngestLoad
{
    public static async Task<int> RunAsync(FileInfo routerDll, int seconds, int rooms, bool messagePack, double drift, bool news, CancellationToken cancellationToken)
    {
        var links = new DriftingLinks(rooms, drift);
        var reporters = Enumerable.Range(0, rooms).Select(i => new ReportNews<string>(TimeSpan.FromMinutes(5), TimeProvider.System, new Random(i), 1)).ToArray();
        var busy = new int[rooms];
        Console.WriteLine($"{rooms} rooms × {rooms - 1} links, one report per room per second, {(news ? "news since the last report taken (as relays send them)" : "every link in every report")}, {(messagePack ? "MessagePack" : "JSON")}; {drift:P1} of links jump each second, the rest wander ~1 %; {seconds} s");
        await using var router = await RouterProcess.StartAsync(routerDll, "--Router:RecomputeInterval=00:00:01");
        using var http = World.Client(router.Url, 64);
        var latencies = new List<double>();
        var gate = new Lock();
        long sent = 0, accepted = 0, late = 0, skipped = 0, fullWanted = 0, linksSent = 0, bytesSent = 0, jumped = 0;

        // The first seconds, every room joins and the table grows with them: not the steady state asked about.
        var warmup = Math.Min(10, seconds / 3);
        var cpuBefore = router.CpuTime;
        var scrapeBefore = await ControllerScrape.ReadAsync(http, cancellationToken);
        var measuredFrom = TimeSpan.Zero;
        var watch = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        for (var second = 0; second < seconds; second++)
        {
            if (second == warmup)
            {
                await Task.WhenAll(inFlight);
                lock (gate)
                {
                    latencies.Clear();
                }

                (sent, accepted, late, skipped, fullWanted, linksSent, bytesSent, jumped) = (0, 0, 0, 0, 0, 0, 0, 0);
                cpuBefore = router.CpuTime;
                scrapeBefore = await ControllerScrape.ReadAsync(http, cancellationToken);
                measuredFrom = watch.Elapsed;
            }

            links.Advance();
            jumped += links.Jumped;

            // This second's reports, spread over the second as relays' timers would be.
            var due = watch.Elapsed;
            for (var i = 0; i < rooms; i++)
            {
                var room = i;
                var wait = due + TimeSpan.FromSeconds((double)i / rooms) - watch.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }

                if (Interlocked.CompareExchange(ref busy[room], 1, 0) != 0)
                {
                    skipped++; // its last report is not answered yet: a relay would wait too
                    continue;
                }

                var reporter = reporters[room];
                var plan = news ? reporter.Next(links.Readings(room)) : new ReportPlan<string>(0, null, [.. links.Readings(room)], []);
                var body = Body(room, plan, messagePack);
                sent++;
                linksSent += plan.Links.Count;
                bytesSent += body.Length;
                inFlight.Add(Task.Run(async () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await World.PostReportAsync(http, room, body, messagePack, cancellationToken);
                    var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.IsSuccessStatusCode)
                    {
                        reporter.Taken(plan);
                        Interlocked.Increment(ref accepted);
                    }
                    else if (response.StatusCode == HttpStatusCode.PreconditionFailed)
                    {
                        reporter.FullWanted();
                        Interlocked.Increment(ref fullWanted);
                    }

                    Volatile.Write(ref busy[room], 0);
                    if (took > 1000)
                    {
                        Interlocked.Increment(ref late);
                    }

                    lock (gate)
                    {
                        latencies.Add(took);
                    }
                }, cancellationToken));
            }

            inFlight.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(inFlight);
        var wall = watch.Elapsed - measuredFrom;
        var cpu = router.CpuTime - cpuBefore;
        var scrape = await ControllerScrape.ReadAsync(http, cancellationToken);
        var ready = JsonDocument.Parse(await http.GetStringAsync(new Uri("/readyz", UriKind.Relative), cancellationToken)).RootElement;
        latencies.Sort();
        double Delta(string name, params string[] labels) => scrape.Sum(name, labels) - scrapeBefore.Sum(name, labels);
        var published = Delta("msdn_router_recomputations_total", "outcome=\"published\"");
        var ran = published + Delta("msdn_router_recomputations_total", "outcome=\"unchanged\"");
        var recomputeMs = Delta("msdn_router_recompute_duration_milliseconds_sum") / Math.Max(1, Delta("msdn_router_recompute_duration_milliseconds_count"));
        var recomputeP99 = ControllerScrape.PercentileBound(scrapeBefore, scrape, "msdn_router_recompute_duration_milliseconds", 0.99);
        var allocated = Delta("dotnet_gc_heap_total_allocated_bytes_total");
        Console.WriteLine($"steady state (after {warmup} s of rooms joining): offered {sent / wall.TotalSeconds:F0} reports/s, accepted {accepted} of {sent} ({fullWanted} asked for every link, {skipped} not sent: the last still unanswered); {linksSent / (double)Math.Max(1, sent):F1} links and {bytesSent / (double)Math.Max(1, sent):F0} bytes per report; {jumped / wall.TotalSeconds:F0} links jumped per second");
        Console.WriteLine($"report latency p50 {World.Percentile(latencies, 0.5):F1} ms, p99 {World.Percentile(latencies, 0.99):F1} ms, over 1 s: {late}");
        Console.WriteLine($"recomputations {ran / wall.TotalSeconds:F2}/s ({published} published, {ran - published} unchanged, {Delta("msdn_router_recomputations_total", "outcome=\"skipped\"")} ticks with nothing moved, {Delta("msdn_router_recomputations_total", "outcome=\"busy\"")} while one ran); took {recomputeMs:F0} ms on average, p99 ≤ {recomputeP99:F0} ms");
        Console.WriteLine($"silo CPU {cpu.TotalSeconds / wall.TotalSeconds * 100:F0} % of one core ({cpu.TotalSeconds:F1} s over {wall.TotalSeconds:F1} s), allocated {allocated / wall.TotalSeconds / 1e6:F0} MB/s; garbage collections gen0 {Delta("dotnet_gc_collections_total", "gen0"):F0}, gen1 {Delta("dotnet_gc_collections_total", "gen1"):F0}, gen2 {Delta("dotnet_gc_collections_total", "gen2"):F0}, paused {Delta("dotnet_gc_pause_time_seconds_total") * 1000:F0} ms; route table version {ready.GetProperty("version").GetInt64()} over {ready.GetProperty("rooms").GetInt32()} rooms");
        return accepted == sent && late == 0 && !(recomputeP99 > 1000) ? 0 : 1;
    }

    private static byte[] Body(int room, ReportPlan<string> plan, bool messagePack)
    {
        var body = new RelayReportBody(
            $"10.0.{room / 250}.{room % 250}:7500",
            "Serving",
            [.. plan.Links.Select(l => new LinkEstimateBody(l.Peer, l.Reading.RttMs, l.Reading.JitterMs, l.Reading.Loss, l.Reading.Up, l.Reading.ForwardLoss))],
            null,
            Sequence: plan.Sequence,
            Since: plan.Since,
            Gone: plan.Gone.Count > 0 ? plan.Gone : null);
        return messagePack ? MessagePackSerializer.Serialize(body) : JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
