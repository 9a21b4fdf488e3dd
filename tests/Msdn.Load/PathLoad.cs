using System.Diagnostics;
using System.Text.Json;

namespace Msdn.Load;

/// <summary>Path lookups against a running silo holding a route table over the world, then the same load against a constant endpoint.</summary>
internal static class PathLoad
{
    public static async Task<int> RunAsync(FileInfo routerDll, int seconds, int concurrency, int rooms, CancellationToken cancellationToken)
    {
        Console.WriteLine($"world: {rooms} rooms, full mesh; load: {concurrency} requests in flight, {seconds} s each (2 s warm-up), client and server on this machine");
        // The rooms report once: they must not go stale during the run (a lookup benchmark, not an ingest one).
        // Media engines present tokens, as in production: one per starting room.
        var tokenKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var issuer = new Msdn.Tokens.MediaTokens(tokenKey, TimeProvider.System);
        var tokens = Enumerable.Range(0, rooms).Select(i => issuer.Issue(new Msdn.Tokens.MediaTokenClaims("load", World.Room(i), ["*"], [], TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds()))).ToArray();
        await using (var router = await RouterProcess.StartAsync(routerDll, "--Router:StaleAfter=01:00:00", "--Router:UnreachableAfter=02:00:00", "--token-key-file", RouterProcess.KeyFile("media-token.key", Convert.ToBase64String(tokenKey))))
        {
            using var http = World.Client(router.Url, concurrency);
            var reports = World.Reports(rooms, messagePack: true);
            await Parallel.ForAsync(0, rooms, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
                (await World.PostReportAsync(http, i, reports[i], messagePack: true, ct)).EnsureSuccessStatusCode());
            await WaitForRoomsAsync(http, rooms, cancellationToken);
            Print("path lookup (silo)", await LoadAsync(http, seconds, concurrency, rooms, tokens, cancellationToken));
        }

        await using (var constant = await ChildServer.StartAsync(typeof(PathLoad).Assembly.Location, "listening", "serve-constant", "--listen", "127.0.0.1:0"))
        {
            using var http = World.Client(constant.Url, concurrency);
            Print("constant endpoint (ceiling)", await LoadAsync(http, seconds, concurrency, rooms, tokens, cancellationToken));
        }

        return 0;
    }

    private static async Task WaitForRoomsAsync(HttpClient http, int rooms, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            var ready = await http.GetAsync("/readyz", cancellationToken);
            if (ready.IsSuccessStatusCode && JsonDocument.Parse(await ready.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("rooms").GetInt32() == rooms)
            {
                Console.WriteLine($"route table over {rooms} rooms ready after {watch.Elapsed.TotalSeconds:F1} s");
                return;
            }

            await timer.WaitForNextTickAsync(cancellationToken);
        }

        throw new TimeoutException("the route table never covered every room");
    }

    private static async Task<(double Rps, List<double> Latencies, long Errors)> LoadAsync(HttpClient http, int seconds, int concurrency, int rooms, string[] tokens, CancellationToken cancellationToken)
    {
        await RunAsync(http, TimeSpan.FromSeconds(2), concurrency, rooms, tokens, cancellationToken); // warm-up: JIT, connections
        return await RunAsync(http, TimeSpan.FromSeconds(seconds), concurrency, rooms, tokens, cancellationToken);
    }

    private static async Task<(double Rps, List<double> Latencies, long Errors)> RunAsync(HttpClient http, TimeSpan duration, int concurrency, int rooms, string[] tokens, CancellationToken cancellationToken)
    {
        var latencies = new List<double>[concurrency];
        long errors = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, concurrency, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (worker, ct) =>
        {
            var mine = latencies[worker] = new List<double>(200_000);
            var random = new Random(worker);
            while (watch.Elapsed < duration)
            {
                int from = random.Next(rooms), to = random.Next(rooms - 1);
                to += to >= from ? 1 : 0;
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/paths/{World.Room(from)}/{World.Room(to)}");
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {tokens[from]}");
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.IsSuccessStatusCode)
                {
                    mine.Add(took);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        });
        var all = latencies.SelectMany(l => l).Order().ToList();
        return (all.Count / watch.Elapsed.TotalSeconds, all, errors);
    }

    private static void Print(string what, (double Rps, List<double> Latencies, long Errors) result) =>
        Console.WriteLine($"{what,-28} {result.Rps,9:F0} req/s   p50 {World.Percentile(result.Latencies, 0.5):F2} ms   p99 {World.Percentile(result.Latencies, 0.99):F2} ms   errors {result.Errors}");
}
