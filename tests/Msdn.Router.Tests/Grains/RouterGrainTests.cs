using Microsoft.Extensions.DependencyInjection;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Grains;
using Msdn.Router.Hosting;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Msdn.Router.Tests.Grains;

/// <summary>Room grains and the route computer on Orleans' test cluster of two silos.</summary>
public sealed class RouterGrainTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = new TestClusterBuilder(2).AddSiloBuilderConfigurator<Silo>().Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Reports_reach_the_route_computer_and_a_down_link_recomputes_at_once()
    {
        var computer = _cluster.Client.GetGrain<IRouteComputerGrain>(0);
        Assert.Equal(2, await Report("a", ("b", 10, true), ("c", 100, true))); // b and c have not reported yet
        await Report("b", ("a", 10, true), ("c", 10, true));
        await Report("c", ("a", 100, true), ("b", 10, true));

        // New rooms join at the next tick (100 ms in this cluster).
        var table = await EventuallyAsync(computer, t => t.Rooms.Length == 3);
        Assert.Equal<RoomId>(["a", "b", "c"], table.Rooms);
        Assert.Equal<RoomId>(["a", "b", "c"], table.Find("a", "c")!.Primary);

        await Report("b", ("a", 10, true), ("c", 10, false));
        var after = await EventuallyAsync(computer, t => t.Version > table.Version);
        Assert.True(after.Version > table.Version);
        Assert.Equal<RoomId>(["a", "c"], after.Find("a", "c")!.Primary);

        var room = await _cluster.Client.GetGrain<IRoomGrain>("b").Describe();
        Assert.Equal(("b", 2L), (room.Room, room.Reports));
        var summaries = await computer.Rooms();
        Assert.Equal(["a", "b", "c"], summaries.Select(s => s.Room).Order(StringComparer.Ordinal));
        Assert.True((await computer.Estimates()).Value.TryGet("a", "c", out var ac) && ac.RttMs == 100);
    }

    private static async Task<RouteTable> EventuallyAsync(IRouteComputerGrain computer, Func<RouteTable, bool> ready)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        for (var attempt = 0; attempt < 250; attempt++)
        {
            var table = (await computer.Table()).Value.Table;
            if (ready(table))
            {
                return table;
            }

            await timer.WaitForNextTickAsync();
        }

        throw new TimeoutException("the route computer never produced the expected table");
    }

    private async Task<int> Report(string room, params (string Peer, double Rtt, bool Up)[] links) =>
        (await _cluster.Client.GetGrain<IRoomGrain>(room).Report(new RoomReport
        {
            RelayEndpoint = $"127.0.0.1:{7500 + room[0]}",
            Links = [.. links.Select(l => new LinkEstimate { Peer = l.Peer, RttMs = l.Rtt, Up = l.Up })],
        })).UnknownPeers;

    private sealed class Silo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddMemoryGrainStorage(RouterStorage.Name);
            siloBuilder.Services.AddRouterCore();
            siloBuilder.Services.Configure<RouterOptions>(o => o.RecomputeInterval = TimeSpan.FromMilliseconds(100));
        }
    }
}
