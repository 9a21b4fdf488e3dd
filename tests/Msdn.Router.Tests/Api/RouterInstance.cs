using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Msdn.Router.Api;
using Msdn.Router.Hosting;
using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Api;

/// <summary>A controller silo as its executable runs it (<see cref="RouterHost"/>) on free ports of 127.0.0.1, with an HTTP client for it.</summary>
internal sealed class RouterInstance : IAsyncDisposable
{
    public static readonly string Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private RouterInstance(WebApplication app)
    {
        App = app;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public WebApplication App { get; }

    public HttpClient Http { get; }

    public static RoomCredentials Credentials { get; } = new(Convert.FromBase64String(Key));

    public static async Task<RouterInstance> StartAsync(params string[] extra)
    {
        // Orleans binds no port 0: a fixed silo port of this process's, and the next one when another holds it.
        for (var attempt = 1; ; attempt++)
        {
            var app = RouterHost.Build(["--listen", "127.0.0.1:0", "--data-directory", Directory.CreateTempSubdirectory("msdn-router-").FullName, "--silo-port", Msdn.Sim.Drills.Loopback.LoopbackPorts.Silo().ToString(System.Globalization.CultureInfo.InvariantCulture), "--gateway-port", "0", $"--Router:ReportKey={Key}", .. extra]);
            try
            {
                await app.StartAsync();
                return new RouterInstance(app);
            }
            catch (Exception e) when (attempt < 8 && RouterHost.InUse(e))
            {
                await app.DisposeAsync();
            }
        }
    }

    public Task<HttpResponseMessage> ReportAsync(string room, params (string Peer, double Rtt, bool Up)[] links) => ReportAsync(room, new RoomReport
    {
        RelayEndpoint = $"127.0.0.1:{7500 + room.Length}",
        Links = [.. links.Select(l => new LinkEstimate { Peer = l.Peer, RttMs = l.Rtt, Up = l.Up })],
    });

    public Task<HttpResponseMessage> ReportAsync(string room, object body, string? credential = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/rooms/{room}/reports") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", credential ?? Credentials.For(room));
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> RoutesAsync(string room, long? since = null, double? wait = null, string? to = null) => LongPollAsync("/v1/routes", room, since, wait, to);

    public Task<HttpResponseMessage> DirectoryAsync(string room, long? since = null, double? wait = null) => LongPollAsync("/v1/directory", room, since, wait);

    private Task<HttpResponseMessage> LongPollAsync(string path, string room, long? since, double? wait, string? to = null)
    {
        var query = string.Join('&', new[] { since is null ? null : $"since={since}", wait is null ? null : $"wait={wait}", to is null ? null : $"to={Uri.EscapeDataString(to)}" }.Where(q => q is not null));
        var request = new HttpRequestMessage(HttpMethod.Get, $"{path}?{query}");
        request.Headers.Authorization = new("Bearer", Credentials.For(room));
        request.Headers.Add(RouterEndpoints.RoomHeader, room);
        return Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
