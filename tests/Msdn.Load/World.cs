using System.Net.Http.Headers;
using System.Text.Json;

namespace Msdn.Load;

/// <summary>A synthetic world: rooms on a plane, RTT from distance, every room measuring every other.</summary>
internal static class World
{
    public static string Room(int i) => $"r{i:D3}";

    /// <summary>Each room's report body (as a relay sends it: MessagePack by keys, or JSON), serialised once.</summary>
    public static byte[][] Reports(int rooms, bool messagePack, int seed = 1)
    {
        var random = new Random(seed);
        var places = Enumerable.Range(0, rooms).Select(_ => (X: random.NextDouble() * 150, Y: random.NextDouble() * 100)).ToArray();
        var bodies = new byte[rooms][];
        for (var i = 0; i < rooms; i++)
        {
            var links = Enumerable.Range(0, rooms).Where(j => j != i).Select(j =>
            {
                var distance = Math.Sqrt(Math.Pow(places[i].X - places[j].X, 2) + Math.Pow(places[i].Y - places[j].Y, 2));
                var detour = random.NextDouble() < 0.1 ? 1.5 : 1.0; // some paths are worse than a detour
                return new { peer = Room(j), rttMs = Math.Round((2 + distance) * detour, 2), jitterMs = 0.5, loss = 0.0, up = true };
            });
            var endpoint = $"10.0.{i / 250}.{i % 250}:7500";
            bodies[i] = messagePack
                ? MessagePack.MessagePackSerializer.Serialize<object?[]>([endpoint, "Serving", links.Select(l => new object[] { l.peer, l.rttMs, l.jitterMs, l.loss, l.up }).ToArray(), null])
                : JsonSerializer.SerializeToUtf8Bytes(new { relayEndpoint = endpoint, relayState = "Serving", links, clientEndpoint = (string?)null });
        }

        return bodies;
    }

    public static async Task<HttpResponseMessage> PostReportAsync(HttpClient http, int room, byte[] body, bool messagePack, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/rooms/{Room(room)}/reports") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(messagePack ? "application/x-msgpack" : "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RouterProcess.Credential(Room(room)));
        return await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public static HttpClient Client(Uri server, int connections) => new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = server,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * p) - 1)];
}
