using System.Collections.Frozen;
using System.Collections.Immutable;
using Msdn.Graph.Routing;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tables;

/// <summary>
/// A versioned, immutable route table: for every ordered pair of rooms with a path, its primary route,
/// expected cost and backup. Relays forward by it; newer versions replace it whole or through a
/// <see cref="RouteTableDiff"/>.
/// </summary>
public sealed class RouteTable
{
    private readonly FrozenDictionary<RoomId, int> _index;

    internal RouteTable(long version, ImmutableArray<RoomId> rooms, RouteRow[] rows)
        : this(version, rooms, rows, rooms.Select((room, i) => (room, i)).ToFrozenDictionary(p => p.room, p => p.i))
    {
    }

    private RouteTable(long version, ImmutableArray<RoomId> rooms, RouteRow[] rows, FrozenDictionary<RoomId, int> index)
    {
        if (rows.Length != rooms.Length)
        {
            throw new ArgumentException("A route table needs one row per room.", nameof(rows));
        }

        Version = version;
        Rooms = rooms;
        Rows = rows;
        _index = index;
    }

    public long Version { get; }

    /// <summary>The rooms, sorted ordinally; a room's position is its index in paths and encodings.</summary>
    public ImmutableArray<RoomId> Rooms { get; }

    internal RouteRow[] Rows { get; }

    /// <summary>Number of ordered pairs that have a route.</summary>
    public int RouteCount => Rows.Sum(row => row.Slots.Count(slot => slot.HasRoute));

    public static RouteTable Empty { get; } = new(0, [], []);

    public int IndexOf(RoomId room) => _index.TryGetValue(room, out var i) ? i : throw new UnknownRoomException(room);

    public bool Contains(RoomId room) => _index.ContainsKey(room);

    /// <summary>The route between two rooms; null when both are known but no path joins them.</summary>
    public Route? Find(RoomId from, RoomId to)
    {
        int s = IndexOf(from), t = IndexOf(to);
        return s == t ? null : RouteAt(s, t);
    }

    /// <summary>Every route, source by source, target by target (index order).</summary>
    public IEnumerable<Route> Routes()
    {
        for (var s = 0; s < Rows.Length; s++)
        {
            for (var t = 0; t < Rows.Length; t++)
            {
                if (RouteAt(s, t) is { } route)
                {
                    yield return route;
                }
            }
        }
    }

    /// <summary>
    /// The routes whose primary takes a hop <paramref name="hop"/> picks out (from, to: indices into
    /// <see cref="Rooms"/>), built only for those: checking every primary of a 500-room table this way
    /// takes a millisecond, materialising every route a hundred.
    /// </summary>
    public IEnumerable<Route> RoutesWhosePrimaryTakes(Func<int, int, bool> hop)
    {
        ArgumentNullException.ThrowIfNull(hop);
        for (var s = 0; s < Rows.Length; s++)
        {
            for (var t = 0; t < Rows.Length; t++)
            {
                if (s != t && Rows[s].Slots[t].HasRoute && PrimaryTakes(Rows[s], t, hop))
                {
                    yield return RouteAt(s, t)!;
                }
            }
        }
    }

    private static bool PrimaryTakes(RouteRow row, int target, Func<int, int, bool> hop)
    {
        var previous = row.Source;
        foreach (var next in row.PrimaryIntermediates(target))
        {
            if (hop(previous, next))
            {
                return true;
            }

            previous = next;
        }

        return hop(previous, target);
    }

    /// <summary>True when both tables hold the same rooms and the same routes, whatever their versions.</summary>
    public bool SameRoutesAs(RouteTable other) => Every(other, (mine, theirs, t) => mine.SameRoute(t, theirs, t, default));

    /// <summary>True when both tables hold the same rooms and every pair takes the same paths (costs may differ).</summary>
    public bool SamePathsAs(RouteTable other) => Every(other, (mine, theirs, t) => mine.SamePaths(t, theirs, t));

    /// <summary>Whether this table holds <paramref name="other"/>'s very rows over the same rooms: what <see cref="KeepingUnchangedRoutesOf"/> returns when no pair's paths moved.</summary>
    public bool SharesEveryRowWith(RouteTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Rooms.SequenceEqual(other.Rooms))
        {
            return false;
        }

        for (var s = 0; s < Rows.Length; s++)
        {
            if (!ReferenceEquals(Rows[s], other.Rows[s]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// This table with every pair whose paths equal <paramref name="previous"/>'s taken from it, costs
    /// included (same rooms only; else this table as it is). Costs drift with every computation while
    /// paths rarely move: publishing the old entries keeps a version's diff to the pairs whose paths
    /// changed, instead of every pair's new cost. A pair's costs are then those of when its paths last changed.
    /// (<see cref="Routing.RouteComputer.ComputeKeepingUnchangedRoutes"/> does the same while it decides the pairs.)
    /// </summary>
    /// <param name="parallelism">Threads it may use (rows are independent).</param>
    public RouteTable KeepingUnchangedRoutesOf(RouteTable previous, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        if (!Rooms.SequenceEqual(previous.Rooms))
        {
            return this;
        }

        // A pair whose paths held differs from the previous entry in its costs alone: its slot keeps the new
        // row's hops (the same rooms) with the old costs, so a row that moved shares the new row's hop buffer.
        var rows = new RouteRow[Rows.Length];
        Workers.ForRanges(Rows.Length, parallelism, (from, to) =>
        {
            for (var s = from; s < to; s++)
            {
                RouteSlot[]? slots = null;
                var allHeld = true;
                for (var t = 0; t < Rows.Length; t++)
                {
                    if (!Rows[s].SamePaths(t, previous.Rows[s], t))
                    {
                        allHeld = false;
                    }
                    else if (Rows[s].Slots[t].HasRoute)
                    {
                        slots ??= (RouteSlot[])Rows[s].Slots.Clone();
                        slots[t].Cost = previous.Rows[s].Slots[t].Cost;
                        slots[t].BackupCost = previous.Rows[s].Slots[t].BackupCost;
                    }
                }

                rows[s] = allHeld ? previous.Rows[s] : new RouteRow(s, slots ?? Rows[s].Slots, Rows[s].Hops);
            }
        });

        return WithRows(Version, rows);
    }

    private bool Every(RouteTable other, Func<RouteRow, RouteRow, int, bool> same)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Rooms.SequenceEqual(other.Rooms))
        {
            return false;
        }

        for (var s = 0; s < Rows.Length; s++)
        {
            if (ReferenceEquals(Rows[s], other.Rows[s]))
            {
                continue; // a row a newer version took over whole (most of them: versions move few pairs)
            }

            for (var t = 0; t < Rows.Length; t++)
            {
                if (!same(Rows[s], other.Rows[s], t))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// This table with <paramref name="room"/>'s row (its routes as the source) taken from <paramref name="other"/>,
    /// a table of the same version over the same rooms computed on another graph.
    /// </summary>
    public RouteTable WithRowOf(RoomId room, RouteTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Version != Version || !other.Rooms.SequenceEqual(Rooms))
        {
            throw new ArgumentException("Rows can only be taken from a table of the same version over the same rooms.", nameof(other));
        }

        var rows = (RouteRow[])Rows.Clone();
        var s = IndexOf(room);
        rows[s] = other.Rows[s];
        return WithRows(Version, rows);
    }

    /// <summary>
    /// What a relay of room <paramref name="self"/> needs of this table: its own row (every route it starts), and
    /// from every other room only the routes into <paramref name="destinations"/> (the onward paths of its local
    /// detours towards the rooms its flows go to). A transit relay reads nothing: the Open frame carries the path.
    /// The whole table when <paramref name="destinations"/> is null; rooms this table does not know are ignored.
    /// </summary>
    /// <summary>The most destinations a relay names when it asks for a restricted table (a request line stays within servers' limits); past it, the whole table.</summary>
    public const int MaxDestinationsAsked = 128;

    public RouteTable Restricted(RoomId self, IReadOnlySet<RoomId>? destinations)
    {
        if (destinations is null)
        {
            return this;
        }

        var columns = destinations.Where(Contains).Select(IndexOf).Order().ToArray();
        var own = _index.TryGetValue(self, out var mine) ? mine : -1;
        var rows = new RouteRow[Rows.Length];
        var builder = new RouteRowBuilder();
        for (var s = 0; s < Rows.Length; s++)
        {
            if (s == own)
            {
                rows[s] = Rows[s];
                continue;
            }

            builder.Start(s, Rooms.Length);
            foreach (var t in columns)
            {
                if (t != s)
                {
                    builder.CopyFrom(t, Rows[s], t, default);
                }
            }

            rows[s] = builder.Build();
        }

        return WithRows(Version, rows);
    }

    /// <summary>The next version over the same rooms with some rows replaced (the room index is shared, not rebuilt).</summary>
    internal RouteTable WithRows(long version, RouteRow[] rows) => new(version, Rooms, rows, _index);

    /// <summary>The same routes under another version number (a restored table placed past every version served before).</summary>
    public RouteTable WithVersion(long version) => new(version, Rooms, Rows, _index);

    internal Route? RouteAt(int s, int t) => ToRoute(Rooms, Rows[s], t);

    /// <summary>The public view of one slot of a row over the given room list.</summary>
    internal static Route? ToRoute(ImmutableArray<RoomId> rooms, RouteRow row, int t)
    {
        var slot = row.Slots[t];
        if (!slot.HasRoute)
        {
            return null;
        }

        var s = row.Source;
        var primary = Path(rooms, s, row.PrimaryIntermediates(t), t);
        ImmutableArray<RoomId>? backup = slot.HasBackup ? Path(rooms, s, row.BackupIntermediates(t), t) : null;
        return new Route(rooms[s], rooms[t], primary, slot.Cost, backup, slot.HasBackup ? slot.BackupCost : null);
    }

    private static ImmutableArray<RoomId> Path(ImmutableArray<RoomId> rooms, int s, ReadOnlySpan<int> intermediates, int t)
    {
        var builder = ImmutableArray.CreateBuilder<RoomId>(intermediates.Length + 2);
        builder.Add(rooms[s]);
        foreach (var hop in intermediates)
        {
            builder.Add(rooms[hop]);
        }

        builder.Add(rooms[t]);
        return builder.MoveToImmutable();
    }
}
