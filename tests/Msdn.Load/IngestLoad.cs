using System.Diagnostics;
using System.Text.Json;

namespace Msdn.Load;

/// <summary>Every room reports all its links once a second against one silo; does the silo keep up, and at what CPU cost?</summary>
internal static class IngestLoad
{
    public static async Task<int> RunAsync(FileInfo routerDll, int seconds, int rooms, bool messagePack, CancellationToken cancellationToken)
    {
        var reports = World.Reports(rooms, messagePack);
        Console.WriteLine($"{rooms} rooms × {rooms - 1} links, one report per room per second ({rooms * (rooms - 1):N0} link estimates/s, {reports.Sum(r => r.Length) / 1e6:F1} MB/s of {(messagePack ? "MessagePack" : "JSON")}), {seconds} s");
        await using var router = await RouterProcess.StartAsync(routerDll, "--Router:RecomputeInterval=00:00:01");
        using var http = World.Client(router.Url, 64);
        var latencies = new List<double>();
        var gate = new Lock();
        long sent = 0, accepted = 0, late = 0;
        // The first seconds, every room joins and the table grows with them: not the steady state asked about.
        var warmup = Math.Min(10, seconds / 3);
        var cpuBefore = router.CpuTime;
        var measuredFrom = TimeSpan.Zero;
        var watch = Stopwatch.StartNew();
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
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

                Interlocked.Exchange(ref sent, 0);
                Interlocked.Exchange(ref accepted, 0);
                Interlocked.Exchange(ref late, 0);
                cpuBefore = router.CpuTime;
                measuredFrom = watch.Elapsed;
            }

            // This second's reports, spread over the second as relays' timers would be.
            var due = watch.Elapsed;
            for (var i = 0; i < rooms; i++)
            {
                var room = i;
                var at = due + TimeSpan.FromSeconds((double)i / rooms);
                var wait = at - watch.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }

                Interlocked.Increment(ref sent);
                inFlight.Add(Task.Run(async () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await World.PostReportAsync(http, room, reports[room], messagePack, cancellationToken);
                    var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref accepted);
                    }

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
        var ready = JsonDocument.Parse(await http.GetStringAsync("/readyz", cancellationToken)).RootElement;
        latencies.Sort();
        Console.WriteLine($"steady state (after {warmup} s of rooms joining): offered {sent / wall.TotalSeconds:F0} reports/s, accepted {accepted} of {sent}; report latency p50 {World.Percentile(latencies, 0.5):F1} ms, p99 {World.Percentile(latencies, 0.99):F1} ms, over 1 s: {late}");
        Console.WriteLine($"silo CPU {cpu.TotalSeconds / wall.TotalSeconds * 100:F0} % of one core ({cpu.TotalSeconds:F1} s over {wall.TotalSeconds:F1} s); route table version {ready.GetProperty("version").GetInt64()} over {ready.GetProperty("rooms").GetInt32()} rooms");
        return accepted == sent && late == 0 ? 0 : 1;
    }
}
