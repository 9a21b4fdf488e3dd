using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Msdn.Router.Grains;

/// <summary>
/// Thin shell around <see cref="RouteBook"/>: recomputes on a timer and, as <see cref="RecomputeSchedule"/> allows, at once when a link goes down,
/// persists the latest table (a restarted cluster resumes from it, its version line continuing past every version served), and serves it.
/// </summary>
[Reentrant] // reports keep arriving while a recomputation runs off the grain's turn
public sealed partial class RouteComputerGrain(
    [PersistentState("routes", RouterStorage.Name)] IPersistentState<RouteTableState> state,
    [PersistentState("routes-version", RouterStorage.Name)] IPersistentState<RouteVersionState> versionState,
    IOptions<RouterOptions> options,
    RouteComputer computer,
    TimeProvider time,
    ILocalSiloDetails silo,
    Api.RouterMetrics metrics,
    ILogger<RouteComputerGrain> logger) : Grain, IRouteComputerGrain
{
    private readonly RouteBook _book = new(computer, options.Value);
    private readonly RoomDirectory _directory = new();
    private PublishedTable _published = PublishedTable.Of(RouteTable.Empty);
    private LinkEstimates _estimates = LinkEstimates.None;
    private readonly RecomputeSchedule _schedule = new(time);
    private DateTimeOffset _warmUntil;
    private IGrainTimer? _soon;
    private long _tableStoredAt;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (state.State.Encoded.Length == 0 || !ReferenceEquals(state.State.Encoded, _published.Encoded))
        {
            try
            {
                await StoreTableAsync().ConfigureAwait(true);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A silo stopping alone takes its in-memory storage with it; with Redis this is where it lands.
                Log.NotStoredOnDeactivation(logger, _published.Table.Version, e.Message);
            }
        }
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var served = versionState.State.Version;
        if (state.State.Encoded is { Length: > 0 } persisted)
        {
            // Serve the persisted table until the rooms have had time to report again: recomputing from
            // the first few reports would publish a table that has lost most rooms. Versions published after it
            // was stored may be held by relays: it comes back numbered past them, so they take it whole.
            _published = PublishedTable.Restored(persisted, served);
            _book.Restore(_published.Table);
            _warmUntil = time.GetUtcNow() + options.Value.StaleAfter;
        }
        else
        {
            // No table stored (yet): the first one computed is numbered past any served before.
            _book.Restore(RouteTable.Empty.WithVersion(served));
            _warmUntil = time.GetUtcNow() + options.Value.FirstTableAfter;
        }

        _tableStoredAt = time.GetTimestamp();

        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(options.Value.RecomputeInterval, options.Value.RecomputeInterval) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task<int> Accept(RoomRecord record)
    {
        var unknownPeers = _book.Accept(record);
        _directory.Register(record);

        if (_book.UrgentChange)
        {
            await RecomputeSoonAsync().ConfigureAwait(true); // a link went down: do not wait for the tick
        }

        return unknownPeers;
    }

    private async Task RecomputeSoonAsync()
    {
        switch (_schedule.Urgent())
        {
            case { } wait when wait == TimeSpan.Zero:
                await RecomputeAsync().ConfigureAwait(true);
                break;
            case { } wait:
                _soon = this.RegisterGrainTimer(
                    async _ =>
                    {
                        _soon?.Dispose();
                        _soon = null;
                        _schedule.PendingDue();
                        await RecomputeAsync().ConfigureAwait(true);
                    },
                    new GrainTimerCreationOptions(wait, Timeout.InfiniteTimeSpan));
                break;
        }
    }

    public Task<string> Silo() => Task.FromResult(silo.SiloAddress.ToString());

    public async Task Remove(string room)
    {
        _directory.Remove(room);
        if (_book.Forget(room))
        {
            await RecomputeSoonAsync().ConfigureAwait(true);
        }
    }

    public Task<ComputerVersions> Versions() => Task.FromResult(new ComputerVersions(_book.Table.Version, _directory.Version));

    public Task<DirectoryAnswer> Directory(long? since) => Task.FromResult(_directory.Since(since));

    public Task<Immutable<PublishedTable>> Table() => Task.FromResult(_published.AsImmutable());

    public Task<RoomSummary[]> Rooms() => Task.FromResult(_book.Summaries(time.GetUtcNow()).ToArray());

    public Task<Immutable<LinkEstimates>> Estimates() => Task.FromResult(_estimates.AsImmutable());

    private Task TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        _book.ForgetLinksOfLapsedRooms(now);
        if (_book.NeedsRecompute(now))
        {
            // Not awaited: the timer's next tick counts from the end of its callback, and the routes are to be
            // recomputed every interval, not every interval plus a computation.
            _ = RecomputeLoggingAsync();
            return Task.CompletedTask;
        }

        metrics.Recomputed("skipped", null); // nothing moved enough to change a route
        return Task.CompletedTask;
    }

    private async Task RecomputeLoggingAsync()
    {
        try
        {
            await RecomputeAsync().ConfigureAwait(true);
        }
        catch (Exception e)
        {
            Log.RecomputeFailed(logger, e); // the next tick tries again
        }
    }

    private async Task RecomputeAsync()
    {
        if (time.GetUtcNow() < _warmUntil)
        {
            return; // warming up
        }

        if (_book.Holding(time.GetUtcNow(), out var cutOff))
        {
            if (cutOff)
            {
                Log.CutOff(logger, _book.Table.Version);
            }

            metrics.Recomputed("held", null);
            return;
        }

        if (!_schedule.TryStart())
        {
            metrics.Recomputed("busy", null); // the next tick or down event starts the next
            return;
        }

        try
        {
            var started = time.GetTimestamp();
            var inputs = _book.Inputs(time.GetUtcNow());
            var previous = _book.Table;

            // Everything that reads the whole table is done off the grain's turn, so reports keep being taken: the
            // computation and its encoding.
            var (next, published) = await Task.Run(() =>
            {
                var computed = RouteBook.Compute(computer, inputs, previous);
                return (computed, computed.PathsChanged ? PublishedTable.Of(computed.Table) : null);
            }).ConfigureAwait(true);
            if (next.LosesEveryRoom)
            {
                // No room is live to this controller (it is shutting down, or cut off from every relay): an empty
                // table would help no relay, and every relay that could still hear it would drop its routes.
                Log.KeptForNoLiveRoom(logger, previous.Version);
                metrics.Recomputed("kept", time.GetElapsedTime(started));
                return;
            }

            _estimates = new LinkEstimates(inputs.Rooms);
            if (!_book.Publish(next))
            {
                metrics.Recomputed("unchanged", time.GetElapsedTime(started));
                return;
            }

            _published = published is not null && ReferenceEquals(_book.Table, next.Table) ? published : PublishedTable.Of(_book.Table);
            var took = time.GetElapsedTime(started);
            metrics.Recomputed("published", took);
            Log.Published(logger, _book.Table.Version, _book.Table.Rooms.Length, took.TotalMilliseconds);
            versionState.State = new RouteVersionState { Version = _book.Table.Version };
            await versionState.WriteStateAsync().ConfigureAwait(true);
            if (state.State.Encoded.Length == 0 || time.GetElapsedTime(_tableStoredAt) >= options.Value.TablePersistInterval)
            {
                await StoreTableAsync().ConfigureAwait(true);
            }
        }
        finally
        {
            _schedule.Finished();
        }

        if (_book.UrgentChange)
        {
            await RecomputeSoonAsync().ConfigureAwait(true); // a link went down while this one ran: not left for the next tick
        }
    }

    /// <summary>Stores the table served now (its number is stored with every version; the table itself, megabytes, only this often).</summary>
    private async Task StoreTableAsync()
    {
        if (_published.Table.Rooms.Length == 0)
        {
            return;
        }

        _tableStoredAt = time.GetTimestamp();
        state.State = new RouteTableState { Encoded = _published.Encoded };
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "No room is live: keeping route table version {Version} rather than publishing an empty one")]
        public static partial void KeptForNoLiveRoom(ILogger logger, long version);

        [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Most rooms fell silent at once: this controller was cut off from them, not they from each other; holding route table version {Version} until they are heard again")]
        public static partial void CutOff(ILogger logger, long version);

        [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "Route table version {Version} not stored as the route computer deactivated ({Reason}): a restart numbers its table past it")]
        public static partial void NotStoredOnDeactivation(ILogger logger, long version, string reason);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Error, Message = "Route recomputation failed; the next tick tries again")]
        public static partial void RecomputeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Route table version {Version} over {Rooms} rooms computed in {Milliseconds:F1} ms")]
        public static partial void Published(ILogger logger, long version, int rooms, double milliseconds);
    }
}

/// <summary>What the route computer persists: a recent table (rooms re-report within seconds; their registrations persist in their own grains).</summary>
[GenerateSerializer, Alias("msdn.RouteTableState")]
public sealed class RouteTableState
{
    [Id(0)] public byte[] Encoded { get; set; } = [];
}

/// <summary>The last version the route computer published, stored at each one: a restored table is numbered past it.</summary>
[GenerateSerializer, Alias("msdn.RouteVersionState")]
public sealed class RouteVersionState
{
    [Id(0)] public long Version { get; set; }
}
