using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Msdn.Router.Api;
using Msdn.Router.Grains;
using Msdn.Router.Rooms;
using Orleans;
using Orleans.Runtime;

namespace Msdn.Router.Tests.Api;

/// <summary>
/// Two controller silos forming a real cluster through Redis (membership and grain state): stopping the
/// silo that runs the route computer, the other keeps answering and the route table survives.
/// </summary>
public sealed class RouterClusterTests
{
    private const string Redis = "127.0.0.1:6379";

    [SkippableFact]
    public async Task Stopping_the_route_computers_silo_loses_neither_the_api_nor_the_table()
    {
        Skip.IfNot(RedisIsUp(), $"needs Redis on {Redis} (.ci/run installs and starts it)");
        var cluster = $"test-{Guid.NewGuid():N}";
        var first = await RouterInstance.StartAsync("--redis", Redis, "--cluster-id", cluster);
        var second = await RouterInstance.StartAsync("--redis", Redis, "--cluster-id", cluster);
        try
        {
            await first.ReportAsync("room-a", ("room-b", 10, true), ("room-c", 100, true));
            await first.ReportAsync("room-b", ("room-a", 10, true), ("room-c", 10, true));
            await first.ReportAsync("room-c", ("room-a", 100, true), ("room-b", 10, true));
            var before = await EventuallyAsync(second, "/v1/paths/room-a/room-c", (PathAnswer p) => p.Primary.Hops.Count == 3);

            // Stop whichever silo runs the route computer; the other answers.
            var grains = first.App.Services.GetRequiredService<IGrainFactory>();
            var host = await grains.GetGrain<IRouteComputerGrain>(0).Silo();
            var (stopped, survivor) = host == SiloOf(first) ? (first, second) : (second, first);
            await stopped.DisposeAsync();

            // The survivor reactivates the route computer from Redis: same table, same version line.
            var survivorGrains = survivor.App.Services.GetRequiredService<IGrainFactory>();
            Assert.Equal(SiloOf(survivor), await survivorGrains.GetGrain<IRouteComputerGrain>(0).Silo());
            var table = Msdn.Graph.Tables.RouteTableCodec.Decode(await survivorGrains.GetGrain<IRouteComputerGrain>(0).Table());
            Assert.Equal(before.Version, table.Version);
            Assert.Equal<Msdn.Graph.Topology.RoomId>(["room-a", "room-b", "room-c"], table.Find("room-a", "room-c")!.Primary);
            var after = await survivor.Http.GetFromJsonAsync<PathAnswer>("/v1/paths/room-a/room-c");
            Assert.Equal(before.Version, after!.Version);
            Assert.Equal(HttpStatusCode.Accepted, (await survivor.ReportAsync("room-a", ("room-b", 10, true), ("room-c", 100, true))).StatusCode);
            if (stopped == second)
            {
                await first.DisposeAsync();
            }
            else
            {
                await second.DisposeAsync();
            }
        }
        catch
        {
            await Task.WhenAll(first.DisposeAsync().AsTask(), second.DisposeAsync().AsTask());
            throw;
        }
    }

    private static string SiloOf(RouterInstance instance) => instance.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();

    private static async Task<T> EventuallyAsync<T>(RouterInstance instance, string path, Func<T, bool> ready)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var answer = await instance.Http.GetAsync(path);
            if (answer.IsSuccessStatusCode && await answer.Content.ReadFromJsonAsync<T>() is { } value && ready(value))
            {
                return value;
            }

            await timer.WaitForNextTickAsync();
        }

        throw new TimeoutException($"{path} never became ready");
    }

    private static bool RedisIsUp()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPEndPoint.Parse(Redis));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
