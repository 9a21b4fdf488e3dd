using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;

namespace Msdn.Router.Routing;

/// <summary>
/// The route computer's logic, without Orleans: the rooms' latest reports in, a versioned route table
/// out. A recomputation uses every room that is not unreachable and every link its reporter sees up
/// towards another such room, with hysteresis against the current table; the version moves only when
/// some pair's paths change. A link going down (or a room going silent) asks for a recomputation at once.
/// </summary>
public sealed class RouteBook(RouteComputer computer, RouterOptions options)
{
    /// <summary>
    /// The last computation's link qualities, for the next one to fill (when the link count matches): at 500
    /// rooms it is 12 MB, on the large object heap, and allocating one per table drove most of the full
    /// garbage collections of the 500-room drill.
    /// </summary>
    private static LinkQuality[]? _spareQualities;

    private readonly Dictionary<RoomId, RoomRecord> _rooms = [];

    /// <summary>
    /// Each live room's record as the last computation read it: drift is measured from there, so it accumulates, and
    /// a link it read up going down is urgent. The records, not a copy of their links: amended reports keep every
    /// estimate that did not change the very same object, so weighing a report costs what it changed.
    /// </summary>
    private readonly Dictionary<RoomId, RoomRecord> _computedFrom = [];

    /// <summary>The estimates of <see cref="_computedFrom"/> by peer, built for a room when a report lists its links in another order.</summary>
    private readonly Dictionary<RoomId, Dictionary<string, LinkEstimate>> _computedByPeer = [];

    /// <summary>Links the routes used that went down: one coming back up is as urgent as its going down was (the probe agents damp flapping).</summary>
    private readonly HashSet<(RoomId, RoomId)> _wentDown = [];

    /// <summary>The rooms' names, for the check each link of each report makes (cheaper than a <see cref="RoomId"/> key).</summary>
    private readonly HashSet<string> _names = [];

    /// <summary>Counts rooms joining and being forgotten: a link to an unknown room may name a known one after either.</summary>
    private long _roomsJoinedOrLeft;

    /// <summary>Each room's links as last weighed, and how many named an unknown room then.</summary>
    private readonly Dictionary<RoomId, (IReadOnlyList<LinkEstimate> Links, long RoomsJoinedOrLeft, int Unknown)> _weighed = [];

    public RouteTable Table { get; private set; } = RouteTable.Empty;

    /// <summary>True when a link the routes used went down, or came back up, since the last recomputation: recompute now, not at the next tick.</summary>
    public bool UrgentChange { get; private set; }

    /// <summary>
    /// True when something changed enough since the last computation to possibly move a route: a room or
    /// link appeared or went, or a link's estimate moved (<see cref="LinkDrift"/>). Otherwise the periodic
    /// recomputation is skipped: with hundreds of rooms it is the controller's biggest cost.
    /// </summary>
    public bool Dirty { get; private set; } = true;

    public IReadOnlyDictionary<RoomId, RoomRecord> Rooms => _rooms;

    private readonly CutOffGuard _cutOff = new(options.FirstTableAfter);

    /// <summary>
    /// Whether to hold the current table rather than recompute (<see cref="CutOffGuard"/>): most of its rooms went
    /// silent together, and they have not all had time to report again. <paramref name="cutOff"/>: this call found it so.
    /// </summary>
    public bool Holding(DateTimeOffset now, out bool cutOff)
    {
        // Silent past StaleAfter, not yet UnreachableAfter: rooms falling silent together are held before any lapses.
        var silent = Table.Rooms.Count(room => _rooms.TryGetValue(room, out var record) && record.Liveness(now, options.StaleAfter, options.UnreachableAfter) != RoomLiveness.Fresh);
        cutOff = _cutOff.Observe(Table.Rooms.Length, silent);
        return _cutOff.Holding(now);
    }

    /// <summary>
    /// Takes a room's latest record (as its room grain holds it); returns how many of its links name a room
    /// that has never reported. Those are kept with the record (the peer may report a moment later, and then
    /// they count) but nothing else is: they neither ask for a recomputation nor add to what the book tracks.
    /// </summary>
    public int Accept(RoomRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var room = new RoomId(record.Room);
        _cutOff.Heard(record.LastReportAt);
        var isNew = !_rooms.TryGetValue(room, out var before);
        if (isNew)
        {
            _names.Add(record.Room);
            _roomsJoinedOrLeft++;
            Dirty = true;
        }
        else if (before!.Latest?.RelayState != record.Latest?.RelayState)
        {
            UrgentChange = true; // a room that stopped (or resumed) taking transit leaves (or rejoins) new routes now
            Dirty = true;
        }

        _rooms[room] = record;
        var links = record.Latest?.Links ?? [];

        // A report with no news keeps the very list of links weighed when it came (ReportAmendment): nothing to weigh
        // again, and no link names a room it did not name then, unless a room joined or left since.
        if (_weighed.TryGetValue(room, out var weighed) && ReferenceEquals(weighed.Links, links) && weighed.RoomsJoinedOrLeft == _roomsJoinedOrLeft)
        {
            return weighed.Unknown;
        }

        var computedWith = _computedFrom.GetValueOrDefault(room)?.Latest?.Links;
        var unknown = 0;
        for (var i = 0; i < links.Count; i++)
        {
            var link = links[i];
            if (!_names.Contains(link.Peer))
            {
                unknown++;
                continue;
            }

            if (computedWith is not null && i < computedWith.Count && ReferenceEquals(computedWith[i], link))
            {
                continue; // the estimate the last computation read: nothing to weigh
            }

            var used = ComputedWith(room, computedWith, i, link.Peer);
            var key = (room, new RoomId(link.Peer));
            if (link.Up)
            {
                Dirty |= used is null || Moved(used, link, computer.Costs.Options);
                if (_wentDown.Remove(key))
                {
                    UrgentChange = true; // and came back: flows waiting out a partition take it now, not at the next tick
                }
            }
            else if (used is not null && _wentDown.Add(key))
            {
                UrgentChange = true; // a link the routes were computed with went down
                Dirty = true;
            }
        }

        _weighed[room] = (links, _roomsJoinedOrLeft, unknown);
        return unknown;
    }

    /// <summary>The estimate of the link to <paramref name="peer"/> the last computation read, when it read it up.</summary>
    private LinkEstimate? ComputedWith(RoomId room, IReadOnlyList<LinkEstimate>? computedWith, int position, string peer)
    {
        if (computedWith is null)
        {
            return null;
        }

        // Relays list their links in a stable order: the same position, usually; else look it up by peer.
        var estimate = position < computedWith.Count && string.Equals(computedWith[position].Peer, peer, StringComparison.Ordinal)
            ? computedWith[position]
            : ByPeer(room, computedWith).GetValueOrDefault(peer);
        return estimate is { Up: true } ? estimate : null;
    }

    private Dictionary<string, LinkEstimate> ByPeer(RoomId room, IReadOnlyList<LinkEstimate> computedWith)
    {
        if (!_computedByPeer.TryGetValue(room, out var byPeer))
        {
            byPeer = new Dictionary<string, LinkEstimate>(computedWith.Count, StringComparer.Ordinal);
            foreach (var estimate in computedWith)
            {
                byPeer[estimate.Peer] = estimate;
            }

            _computedByPeer[room] = byPeer;
        }

        return byPeer;
    }

    /// <summary>Forgets a room (the operator removed it): it and its links leave the graph at the next, urgent, computation.</summary>
    public bool Forget(string room)
    {
        var id = new RoomId(room);
        if (!_rooms.Remove(id))
        {
            return false;
        }

        _computedFrom.Remove(id);
        _computedByPeer.Remove(id);
        _weighed.Remove(id);
        _names.Remove(room);
        _roomsJoinedOrLeft++;
        _wentDown.RemoveWhere(k => k.Item1 == id || k.Item2 == id);

        UrgentChange = true;
        Dirty = true;
        return true;
    }

    /// <summary>
    /// Rooms silent past the unreachable threshold keep their registration (the API still lists them) but not
    /// their links: those left the graph already, and a room that returns reports them again.
    /// </summary>
    public void ForgetLinksOfLapsedRooms(DateTimeOffset now)
    {
        List<RoomRecord>? lapsed = null;
        foreach (var record in _rooms.Values)
        {
            if (record.Latest is { Links.Count: > 0 } && record.Liveness(now, options.StaleAfter, options.UnreachableAfter) == RoomLiveness.Unreachable)
            {
                (lapsed ??= []).Add(record);
            }
        }

        foreach (var record in lapsed ?? [])
        {
            _rooms[new RoomId(record.Room)] = record with { Latest = record.Latest! with { Links = [] } };
        }
    }

    private static bool Moved(LinkEstimate used, LinkEstimate now, CostModelOptions costs) => LinkDrift.Moved(used.RttMs, used.JitterMs, used.DirectedLoss, now.RttMs, now.JitterMs, now.DirectedLoss, costs);

    /// <summary>Recomputes from what the rooms last said; returns whether the table (its routes or rooms) changed.</summary>
    public bool Recompute(DateTimeOffset now) => Publish(Compute(computer, Inputs(now), Table));

    /// <summary>What a recomputation needs, taken in one turn so the heavy part can run elsewhere while reports keep coming.</summary>
    public RouteInputs Inputs(DateTimeOffset now)
    {
        UrgentChange = false;
        Dirty = false;
        var live = _rooms.Values.Where(r => r.Liveness(now, options.StaleAfter, options.UnreachableAfter) != RoomLiveness.Unreachable).ToArray();
        _computedFrom.Clear();
        _computedByPeer.Clear();
        foreach (var record in live)
        {
            _computedFrom[new RoomId(record.Room)] = record;
        }

        _liveAtLastComputation = live.Length;
        return new RouteInputs(live);
    }

    /// <summary>
    /// The heavy part, pure: the graph of the live rooms' links seen up, and its routes with hysteresis
    /// against <paramref name="previous"/>, keeping the entries of pairs whose paths held (so a row nothing
    /// moved in is <paramref name="previous"/>'s own), so that publishing it is one reference check in the caller's turn.
    /// </summary>
    public static ComputedTable Compute(RouteComputer computer, RouteInputs inputs, RouteTable previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var next = ComputeTable(computer, inputs, previous);
        if (next.Version <= previous.Version)
        {
            return new ComputedTable(next, previous, false);
        }

        // The held routes were kept as each pair was decided; the paths changed exactly when some row was not
        // taken over whole (or the rooms changed). No second, serial comparison.
        return new ComputedTable(next, previous, !next.SharesEveryRowWith(previous));
    }

    private static RouteTable ComputeTable(RouteComputer computer, RouteInputs inputs, RouteTable previous)
    {
        ArgumentNullException.ThrowIfNull(computer);
        ArgumentNullException.ThrowIfNull(inputs);
        var rooms = TopologySnapshot.IndexOrder(inputs.Rooms.Select(r => new RoomId(r.Room)));
        var index = new Dictionary<string, int>(rooms.Length, StringComparer.Ordinal);
        for (var i = 0; i < rooms.Length; i++)
        {
            index[rooms[i].Value] = i;
        }

        // Relays list their peers in a stable order, usually the rooms' own: try the room after the last
        // one found before hashing the name (a quarter of a million lookups per computation).
        int PeerIndex(string peer, ref int guess)
        {
            if (guess < rooms.Length && string.Equals(rooms[guess].Value, peer, StringComparison.Ordinal))
            {
                return guess++;
            }

            if (index.TryGetValue(peer, out var to))
            {
                guess = to + 1;
                return to;
            }

            return -1;
        }

        // A quarter of a million links at 500 rooms, built straight into the snapshot's arrays by dense index (no
        // object per link): each reporter's peers are looked up once, then its links written at its offset,
        // reporters split among the computer's threads.
        var records = inputs.Rooms;
        var reporters = records.Select(r => index[r.Room]).ToArray();
        var peers = new int[records.Count][];
        var offsets = new int[records.Count + 1];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = computer.Parallelism };
        Parallel.For(0, records.Count, parallel, i =>
        {
            var estimates = records[i].Latest!.Links;
            var mine = new int[estimates.Count];
            var count = 0;
            var guess = 0;
            for (var e = 0; e < estimates.Count; e++)
            {
                var estimate = estimates[e];
                var to = estimate.Up ? PeerIndex(estimate.Peer, ref guess) : -1;
                mine[e] = to != reporters[i] ? to : -1;
                count += mine[e] >= 0 ? 1 : 0;
            }

            peers[i] = mine;
            offsets[i + 1] = count;
        });
        for (var i = 0; i < records.Count; i++)
        {
            offsets[i + 1] += offsets[i];
        }

        // Both written whole below (12 MB of qualities at 500 rooms: not zeroed first).
        var linkIndices = GC.AllocateUninitializedArray<(int From, int To)>(offsets[^1]);
        var qualities = Interlocked.Exchange(ref _spareQualities, null) is { } spare && spare.Length == linkIndices.Length
            ? spare
            : GC.AllocateUninitializedArray<LinkQuality>(linkIndices.Length);
        Parallel.For(0, records.Count, parallel, i =>
        {
            var record = records[i];
            var estimates = record.Latest!.Links;
            var at = offsets[i];
            for (var e = 0; e < estimates.Count; e++)
            {
                if (peers[i][e] >= 0)
                {
                    var estimate = estimates[e];
                    linkIndices[at] = (reporters[i], peers[i][e]);
                    qualities[at++] = new LinkQuality(estimate.RttMs, estimate.JitterMs, estimate.DirectedLoss, true, record.LastReportAt);
                }
            }
        });

        var closed = records.Where(r => r.Latest!.RelayState != "Serving").Select(r => index[r.Room]).ToHashSet();
        var table = closed.Count == 0
            ? computer.ComputeKeepingUnchangedRoutes(TopologySnapshot.Create(rooms, linkIndices, qualities), previous)
            : ComputeAroundClosedRooms(computer, rooms, linkIndices, qualities, closed, previous);
        Interlocked.Exchange(ref _spareQualities, qualities); // the snapshot is gone with the computation: its array serves the next
        return table;
    }

    /// <summary>
    /// Routes that pass through no room whose relay takes no new transit (draining or drained): the graph
    /// without those rooms' outgoing links, so they stay reachable as destinations but carry nothing onward.
    /// Each such room's own row (its flows' routes out, for those that continue while it drains) comes from
    /// the graph with its own links put back.
    /// </summary>
    private static RouteTable ComputeAroundClosedRooms(RouteComputer computer, System.Collections.Immutable.ImmutableArray<RoomId> rooms, (int From, int To)[] links, LinkQuality[] qualities, HashSet<int> closed, RouteTable previous)
    {
        RouteTable Without(Func<int, bool> keepFrom)
        {
            var kept = Enumerable.Range(0, links.Length).Where(i => keepFrom(links[i].From)).ToArray();
            return computer.ComputeKeepingUnchangedRoutes(TopologySnapshot.Create(rooms, [.. kept.Select(i => links[i])], [.. kept.Select(i => qualities[i])]), previous);
        }

        var table = Without(from => !closed.Contains(from));
        foreach (var room in closed)
        {
            table = table.WithRowOf(rooms[room], Without(from => from == room || !closed.Contains(from)));
        }

        return table;
    }

    /// <summary>Takes a computed table unless its paths and rooms equal the current one's; returns whether it did.</summary>
    public bool Publish(ComputedTable computed)
    {
        ArgumentNullException.ThrowIfNull(computed);
        if (ReferenceEquals(computed.ComputedFrom, Table))
        {
            if (!computed.PathsChanged)
            {
                return false;
            }

            Table = computed.Table; // compared with this very table when it was computed
            return true;
        }

        return Publish(computed.Table); // the table moved on meanwhile (a restore): compare afresh
    }

    /// <summary>Takes a computed table unless its paths and rooms equal the current one's; returns whether it did (see <see cref="Table"/> for what it holds).</summary>
    public bool Publish(RouteTable next)
    {
        ArgumentNullException.ThrowIfNull(next);
        // Only path changes make a new version: costs drift with every report, and relays forward by paths
        // (path lookups take their expected RTT and loss from the latest measurements, not the table).
        if (next.Version <= Table.Version || next.SamePathsAs(Table))
        {
            return false;
        }

        // Rows whose paths all held keep their old costs, so the relays' diff carries only what moved.
        Table = next.KeepingUnchangedRoutesOf(Table);
        return true;
    }

    /// <summary>Whether a periodic recomputation can change anything: something moved, or a room lapsed or returned.</summary>
    public bool NeedsRecompute(DateTimeOffset now) =>
        Dirty || UrgentChange || _rooms.Values.Count(r => r.Liveness(now, options.StaleAfter, options.UnreachableAfter) != RoomLiveness.Unreachable) != _liveAtLastComputation;

    private int _liveAtLastComputation = -1;

    /// <summary>Rooms that have gone silent past the unreachable threshold since they were last counted.</summary>
    public bool AnyRoomLapsed(DateTimeOffset now) =>
        Table.Rooms.Any(room => !_rooms.TryGetValue(room, out var record) || record.Liveness(now, options.StaleAfter, options.UnreachableAfter) == RoomLiveness.Unreachable);

    public IEnumerable<RoomSummary> Summaries(DateTimeOffset now) => _rooms.Values.Select(r => new RoomSummary
    {
        Room = r.Room,
        RelayEndpoint = r.Latest?.RelayEndpoint ?? string.Empty,
        ClientEndpoint = r.Latest?.ClientEndpoint,
        RelayState = r.Latest?.RelayState ?? string.Empty,
        LastReportAt = r.LastReportAt,
        Liveness = r.Liveness(now, options.StaleAfter, options.UnreachableAfter),
        Links = r.Latest?.Links.Count ?? 0,
        Load = r.Latest?.Load,
        Nodes = [.. RoomNodes.Of(r).Select(n => new NodeSummary
        {
            RelayEndpoint = n.Endpoint,
            ClientEndpoint = n.Latest.ClientEndpoint,
            RelayState = n.Latest.RelayState,
            LastReportAt = n.LastReportAt,
            Liveness = n.Liveness(now, options.StaleAfter, options.UnreachableAfter),
            Links = n.Latest.Links.Count,
            Load = n.Latest.Load,
        })],
    });

    /// <summary>Starts from a table persisted before a restart (its version continues).</summary>
    public void Restore(RouteTable table) => Table = table ?? throw new ArgumentNullException(nameof(table));
}

/// <summary>The live rooms' latest records, as one recomputation sees them.</summary>
public sealed record RouteInputs(IReadOnlyList<RoomRecord> Rooms);

/// <summary>A computed table (its unchanged rows already those of <paramref name="ComputedFrom"/>), the table it was computed against, and whether any pair's paths differ from it.</summary>
public sealed record ComputedTable(RouteTable Table, RouteTable ComputedFrom, bool PathsChanged)
{
    /// <summary>
    /// No room was live to the computation, and the table it was computed against had rooms: kept rather than published
    /// (a controller that hears no room is cut off or stopping, and an empty table helps no relay).
    /// </summary>
    public bool LosesEveryRoom => Table.Rooms.Length == 0 && ComputedFrom.Rooms.Length > 0;
}
