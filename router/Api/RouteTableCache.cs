using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Graph.Tables;
using Msdn.Router.Grains;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;
using Orleans;

namespace Msdn.Router.Api;

/// <summary>
/// Each silo's copy of the current route table, the room directory and the links' estimates, so
/// the API answers path lookups and route fetches without a grain call per request. Follows the route
/// computer by polling its version (every <see cref="PollInterval"/>), keeps the last few tables to
/// answer <c>since</c> with a diff, and wakes long-polling requests when a new version lands.
/// </summary>
public sealed partial class RouteTableCache(IGrainFactory grains, IOptions<RouterOptions> options, TimeProvider time, ILogger<RouteTableCache> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<long, RouteTable> _history = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Snapshot _current = new(RouteTable.Empty, RouteTableCodec.Encode(RouteTable.Empty), new Dictionary<string, RoomSummary>(), LinkEstimates.None);
    private long _directoryRefreshedAt;
    private readonly RoomDirectory _relays = new();
    private TaskCompletionSource _relaysChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether this silo has heard from the route computer at least once (readiness).</summary>
    public bool Ready { get; private set; }

    public Snapshot Current => _current;

    /// <summary>How long this silo has served its current table version.</summary>
    public TimeSpan Age => time.GetElapsedTime(Interlocked.Read(ref _servedSince));

    /// <summary>How many past tables this silo remembers to answer <c>since</c> with a diff.</summary>
    public int RememberedVersions => options.Value.DiffHistory;

    /// <summary>Completes when a table newer than <paramref name="version"/> is current, or after <paramref name="wait"/>.</summary>
    public async Task<Snapshot> WaitNewerAsync(long version, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);
        while (_current.Table.Version <= version)
        {
            var left = time.GetElapsedTime(time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            try
            {
                await Volatile.Read(ref _changed).Task.WaitAsync(left, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                break;
            }
        }

        return _current;
    }

    /// <summary>The relay directory's changes since <paramref name="since"/> (all of it when null, or too old), from this silo's copy.</summary>
    public DirectoryAnswer RelaysSince(long? since)
    {
        lock (_relays)
        {
            return _relays.Since(since);
        }
    }

    /// <summary>Completes when this silo's copy of the relay directory is newer than <paramref name="version"/>, or after <paramref name="wait"/>.</summary>
    public async Task WaitRelaysNewerAsync(long version, TimeSpan wait, CancellationToken cancellationToken)
    {
        var waiting = Volatile.Read(ref _relaysChanged).Task;
        lock (_relays)
        {
            if (_relays.Version > version)
            {
                return;
            }
        }

        try
        {
            await waiting.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // nothing new in time: the caller answers 304
        }
    }

    /// <summary>
    /// A diff from <paramref name="version"/> to <paramref name="current"/> (a snapshot's table), when that version is
    /// still remembered. Each is computed once per current table: every relay a version behind wakes for the same one.
    /// </summary>
    public RouteTableDiff? DiffFrom(long version, RouteTable current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (!_history.TryGetValue(version, out var older))
        {
            return null;
        }

        var memo = _diffs;
        if (memo.To != current.Version)
        {
            memo = new DiffMemo(current.Version, new ConcurrentDictionary<long, RouteTableDiff>());
            if (current.Version > _diffs.To)
            {
                _diffs = memo;
            }
        }

        return memo.Diffs.GetOrAdd(version, _ => RouteTableDiff.Between(older, current));
    }

    private sealed record DiffMemo(long To, ConcurrentDictionary<long, RouteTableDiff> Diffs);

    private long _servedSince = time.GetTimestamp();
    private volatile DiffMemo _diffs = new(-1, new ConcurrentDictionary<long, RouteTableDiff>());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        do
        {
            try
            {
                await RefreshAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.RefreshFailed(logger, e.Message); // another silo may be leaving; the next poll retries
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task RefreshAsync()
    {
        var computer = grains.GetGrain<IRouteComputerGrain>(0);
        var versions = await computer.Versions().ConfigureAwait(false);
        var version = versions.Table;
        await FollowRelaysAsync(computer, versions.Directory).ConfigureAwait(false);
        var snapshot = _current;
        var directoryDue = time.GetElapsedTime(Interlocked.Read(ref _directoryRefreshedAt)) > TimeSpan.FromSeconds(1);
        if (version == snapshot.Table.Version && Ready && !directoryDue)
        {
            return;
        }

        var rooms = (await computer.Rooms().ConfigureAwait(false)).ToDictionary(r => r.Room);
        Interlocked.Exchange(ref _directoryRefreshedAt, time.GetTimestamp());
        if (version != snapshot.Table.Version || !Ready)
        {
            var published = (await computer.Table().ConfigureAwait(false)).Value;
            var (table, encoded) = (published.Table, published.Encoded);
            var estimates = (await computer.Estimates().ConfigureAwait(false)).Value;
            _history[snapshot.Table.Version] = snapshot.Table;
            foreach (var old in _history.Keys.Where(v => v < table.Version - options.Value.DiffHistory))
            {
                _history.TryRemove(old, out _);
            }

            _current = new Snapshot(table, encoded, rooms, estimates);
            Interlocked.Exchange(ref _servedSince, time.GetTimestamp());
            Ready = true;
            var woken = Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            woken.TrySetResult();
        }
        else
        {
            _current = snapshot with { Rooms = rooms };
        }
    }

    private async Task FollowRelaysAsync(IRouteComputerGrain computer, long version)
    {
        long held;
        lock (_relays)
        {
            held = _relays.Version;
        }

        if (version == held)
        {
            return;
        }

        // A route computer that restarted counts again from 1: take its directory whole.
        var answer = await computer.Directory(version > held ? held : null).ConfigureAwait(false);
        lock (_relays)
        {
            _relays.Apply(answer);
        }

        Interlocked.Exchange(ref _relaysChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>One consistent view: the table, its encoding, the rooms, the links' estimates.</summary>
    public sealed record Snapshot(RouteTable Table, byte[] Encoded, IReadOnlyDictionary<string, RoomSummary> Rooms, LinkEstimates Links);

    private static partial class Log
    {
        [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Could not refresh the route table from the route computer: {Reason}")]
        public static partial void RefreshFailed(ILogger logger, string reason);
    }
}
