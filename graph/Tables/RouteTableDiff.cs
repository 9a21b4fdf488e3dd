using System.Collections.Immutable;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tables;

/// <summary>
/// What changed between two versions of a route table: the new room list and every pair whose routes
/// differ (new, changed or gone). Applied to the old version it gives the new one exactly; a relay that
/// is a version behind fetches diffs instead of whole tables.
/// </summary>
public sealed class RouteTableDiff
{
    public RouteTableDiff(long fromVersion, long toVersion, ImmutableArray<RoomId> rooms, ImmutableArray<RouteChange> changes, bool roomsChanged = true)
    {
        FromVersion = fromVersion;
        ToVersion = toVersion;
        Rooms = rooms;
        Changes = changes;
        RoomsChanged = roomsChanged;
    }

    /// <summary>Whether the newer version's rooms differ from the older's (else the encoding leaves them out: the receiver holds them).</summary>
    public bool RoomsChanged { get; }

    public long FromVersion { get; }

    public long ToVersion { get; }

    public ImmutableArray<RoomId> Rooms { get; }

    public ImmutableArray<RouteChange> Changes { get; }

    public static RouteTableDiff Between(RouteTable older, RouteTable newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        var old = RouteTableRemap.To(older, newer.Rooms);
        var changes = ImmutableArray.CreateBuilder<RouteChange>();
        for (var s = 0; s < newer.Rooms.Length; s++)
        {
            if (ReferenceEquals(newer.Rows[s], old.Rows[s]))
            {
                continue; // the newer version took this row over whole: nothing in it changed
            }

            for (var t = 0; t < newer.Rooms.Length; t++)
            {
                if (s != t && !newer.Rows[s].SameRoute(t, old.Rows[s], t, default))
                {
                    changes.Add(new RouteChange(newer.Rooms[s], newer.Rooms[t], newer.RouteAt(s, t)));
                }
            }
        }

        return new RouteTableDiff(older.Version, newer.Version, newer.Rooms, changes.ToImmutable(), !older.Rooms.SequenceEqual(newer.Rooms));
    }

    /// <summary>
    /// What a relay of room <paramref name="self"/> is sent (<see cref="RouteTable.Restricted"/>): the changes to its
    /// own row, and to the routes into <paramref name="destinations"/> from anywhere; all of them when null.
    /// </summary>
    public RouteTableDiff Restricted(RoomId self, IReadOnlySet<RoomId>? destinations)
    {
        if (destinations is null)
        {
            return this;
        }

        // Every relay a version behind asks for its part of the same diff: index the changes by source and by
        // destination once, rather than scan them all for each relay.
        var index = LazyInitializer.EnsureInitialized(ref _index, () => new ChangeIndex(Changes));
        var picked = new List<int>(index.From(self));
        foreach (var destination in destinations)
        {
            foreach (var i in index.To(destination))
            {
                if (Changes[i].From != self)
                {
                    picked.Add(i);
                }
            }
        }

        picked.Sort();
        return new RouteTableDiff(FromVersion, ToVersion, Rooms, [.. picked.Select(i => Changes[i])], RoomsChanged);
    }

    private ChangeIndex? _index;

    /// <summary>The positions of a diff's changes by source room and by destination room.</summary>
    private sealed class ChangeIndex
    {
        private readonly Dictionary<RoomId, List<int>> _from = [];
        private readonly Dictionary<RoomId, List<int>> _to = [];

        public ChangeIndex(ImmutableArray<RouteChange> changes)
        {
            for (var i = 0; i < changes.Length; i++)
            {
                Add(_from, changes[i].From, i);
                Add(_to, changes[i].To, i);
            }
        }

        private static readonly List<int> None = [];

        public List<int> From(RoomId room) => _from.GetValueOrDefault(room, None);

        public List<int> To(RoomId room) => _to.GetValueOrDefault(room, None);

        private static void Add(Dictionary<RoomId, List<int>> index, RoomId room, int position)
        {
            if (!index.TryGetValue(room, out var at))
            {
                index[room] = at = [];
            }

            at.Add(position);
        }
    }

    /// <summary>The newer table; throws <see cref="RouteTableVersionException"/> when <paramref name="older"/> is not the version this diff starts from.</summary>
    public RouteTable ApplyTo(RouteTable older)
    {
        ArgumentNullException.ThrowIfNull(older);
        if (older.Version != FromVersion)
        {
            throw new RouteTableVersionException(FromVersion, older.Version);
        }

        var old = RouteTableRemap.To(older, Rooms);
        var index = Rooms.Select((room, i) => (room, i)).ToDictionary(p => p.room, p => p.i);
        var bySource = Changes.GroupBy(c => IndexOf(index, c.From)).ToDictionary(g => g.Key, g => g.ToDictionary(c => IndexOf(index, c.To)));
        var rows = (RouteRow[])old.Rows.Clone();
        var builder = new RouteRowBuilder();
        foreach (var (s, changes) in bySource)
        {
            builder.Start(s, Rooms.Length);
            for (var t = 0; t < Rooms.Length; t++)
            {
                if (!changes.TryGetValue(t, out var change))
                {
                    builder.CopyFrom(t, old.Rows[s], t, default);
                }
                else if (change.Route is { } route)
                {
                    var backup = route.Backup is { } b ? Intermediates(b, index) : [];
                    builder.Set(t, Intermediates(route.Primary, index), (float)route.Cost, route.HasBackup, backup, (float)(route.BackupCost ?? double.PositiveInfinity));
                }
            }

            rows[s] = builder.Build();
        }

        return new RouteTable(ToVersion, Rooms, rows);
    }

    private static int IndexOf(Dictionary<RoomId, int> index, RoomId room) =>
        index.TryGetValue(room, out var i) ? i : throw new UnknownRoomException(room);

    private static int[] Intermediates(ImmutableArray<RoomId> path, Dictionary<RoomId, int> index) =>
        path.Skip(1).Take(path.Length - 2).Select(room => IndexOf(index, room)).ToArray();
}
