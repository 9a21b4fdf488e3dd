using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;
using Orleans;
using Orleans.Runtime;

namespace Msdn.Router.Grains;

/// <summary>
/// Thin shell around <see cref="RouteBook"/>: recomputes on a timer and at once when a link goes down,
/// persists the latest table (a restarted cluster resumes from it, same version line), and serves it.
/// </summary>
public sealed partial class RouteComputerGrain(
    [PersistentState("routes", RouterStorage.Name)] IPersistentState<RouteTableState> state,
    IOptions<RouterOptions> options,
    RouteComputer computer,
    TimeProvider time,
    ILocalSiloDetails silo,
    ILogger<RouteComputerGrain> logger) : Grain, IRouteComputerGrain
{
    private readonly RouteBook _book = new(computer, options.Value);
    private byte[] _encoded = RouteTableCodec.Encode(RouteTable.Empty);
    private DateTimeOffset _warmUntil;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Encoded is { Length: > 0 } persisted)
        {
            // Serve the persisted table until the rooms have had time to report again: recomputing from
            // the first few reports would publish a table that has lost most rooms.
            _book.Restore(RouteTableCodec.Decode(persisted));
            _encoded = persisted;
            _warmUntil = time.GetUtcNow() + options.Value.StaleAfter;
        }

        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(options.Value.RecomputeInterval, options.Value.RecomputeInterval) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task Accept(RoomRecord record)
    {
        var known = _book.Rooms.ContainsKey(new Graph.Topology.RoomId(record.Room));
        _book.Accept(record);
        if (_book.UrgentChange || !known)
        {
            await RecomputeAsync().ConfigureAwait(true); // a link went down or a room appeared: do not wait for the tick
        }
    }

    public Task<string> Silo() => Task.FromResult(silo.SiloAddress.ToString());

    public Task<long> Version() => Task.FromResult(_book.Table.Version);

    public Task<byte[]> Table() => Task.FromResult(_encoded);

    public Task<RoomSummary[]> Rooms() => Task.FromResult(_book.Summaries(time.GetUtcNow()).ToArray());

    public Task<LinkMetric[]> LinkMetrics() => Task.FromResult(_book.LinkMetrics().ToArray());

    private Task TickAsync(CancellationToken cancellationToken) => RecomputeAsync();

    private async Task RecomputeAsync()
    {
        if (time.GetUtcNow() < _warmUntil)
        {
            return;
        }

        var started = time.GetTimestamp();
        if (!_book.Recompute(time.GetUtcNow()))
        {
            return;
        }

        _encoded = RouteTableCodec.Encode(_book.Table);
        var took = time.GetElapsedTime(started).TotalMilliseconds;
        Log.Published(logger, _book.Table.Version, _book.Table.Rooms.Length, took);
        state.State = new RouteTableState { Encoded = _encoded };
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Route table version {Version} over {Rooms} rooms computed in {Milliseconds:F1} ms")]
        public static partial void Published(ILogger logger, long version, int rooms, double milliseconds);
    }
}

/// <summary>What the route computer persists: the latest table (rooms re-report within seconds; their registrations persist in their own grains).</summary>
[GenerateSerializer, Alias("msdn.RouteTableState")]
public sealed class RouteTableState
{
    [Id(0)] public byte[] Encoded { get; set; } = [];
}
