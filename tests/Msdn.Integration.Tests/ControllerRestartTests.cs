using Microsoft.Extensions.DependencyInjection;
using Msdn.Router.Api;
using Xunit.Abstractions;

namespace Msdn.Integration.Tests;

/// <summary>A controller that restarts without its state: relays keep forwarding on their last table until the new controller's arrives.</summary>
public sealed class ControllerRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Rooms = ["room-a", "room-b", "room-c"];
    private ControlledOverlay _overlay = null!;

    public async Task InitializeAsync() => _overlay = await ControlledOverlay.StartAsync(Rooms);

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task A_controller_restart_never_leaves_a_relay_without_routes()
    {
        bool EveryRelayRoutesEverywhere() => Rooms.All(r => Rooms.Where(d => d != r).All(d => _overlay.Relay(r).Node!.HasRoute(d)));
        await ControlledOverlay.WaitUntilAsync(EveryRelayRoutesEverywhere, TimeSpan.FromSeconds(30));
        var before = Rooms.ToDictionary(r => r, r => _overlay.Relay(r).Routes!.Current);

        // Watch every relay's table, every few milliseconds, through the restart and until each holds the new controller's table.
        var gaps = new List<string>();
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
            while (await timer.WaitForNextTickAsync(watching.Token).ConfigureAwait(false))
            {
                foreach (var room in Rooms.Where(r => Rooms.Any(d => d != r && !_overlay.Relay(r).Node!.HasRoute(d))))
                {
                    gaps.Add($"{room} at table {_overlay.Relay(room).Routes!.Current.Version}");
                }
            }
        });

        await _overlay.RestartRouterAsync();
        var took = await ControlledOverlay.WaitUntilAsync(
            () => _overlay.Router.Services.GetRequiredService<RouteTableCache>().Current.Table is { Version: > 0 } newTable
                && Rooms.All(r => _overlay.Relay(r).Routes!.Current is var held && !ReferenceEquals(held, before[r]) && held.Version == newTable.Version),
            TimeSpan.FromSeconds(30));
        await watching.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);

        output.WriteLine($"controller restarted without state: every relay on the new controller's table after {took.TotalMilliseconds:F0} ms; moments a relay lacked a route: {gaps.Count}");
        Assert.Empty(gaps);
        Assert.True(EveryRelayRoutesEverywhere());
        Assert.All(Rooms, r => Assert.Equal(3, _overlay.Relay(r).Routes!.Current.Rooms.Length));
    }
}
