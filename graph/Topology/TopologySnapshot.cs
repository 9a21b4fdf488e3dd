using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Msdn.Graph.Topology;

/// <summary>
/// An immutable picture of the overlay at one moment: the rooms (sorted ordinally, which fixes
/// their dense indices) and the directed links between them with their quality.
/// </summary>
public sealed class TopologySnapshot
{
    private readonly FrozenDictionary<RoomId, int> _index;
    private ImmutableArray<Link> _links;

    private TopologySnapshot(ImmutableArray<RoomId> rooms, FrozenDictionary<RoomId, int> index, (int From, int To)[] linkIndices, LinkQuality[] qualities, ImmutableArray<Link> links)
    {
        LinkIndices = linkIndices;
        Qualities = qualities;
        Rooms = rooms;
        _index = index;
        _links = links;
    }

    public ImmutableArray<RoomId> Rooms { get; }

    /// <summary>The links as objects; a snapshot built from dense indices makes them at first use (the route computer never asks).</summary>
    public ImmutableArray<Link> Links
    {
        get
        {
            if (_links.IsDefault)
            {
                ImmutableInterlocked.InterlockedInitialize(ref _links, [.. LinkIndices.Select((pair, i) => new Link(Rooms[pair.From], Rooms[pair.To], Qualities[i]))]);
            }

            return _links;
        }
    }

    public int RoomCount => Rooms.Length;

    public int LinkCount => LinkIndices.Length;

    /// <summary>The dense (from, to) indices of the links, position by position.</summary>
    internal (int From, int To)[] LinkIndices { get; }

    /// <summary>The links' qualities, position by position.</summary>
    internal LinkQuality[] Qualities { get; }

    /// <summary>Builds a snapshot, rejecting unknown rooms, self-links and duplicate directed links.</summary>
    public static TopologySnapshot Create(IEnumerable<RoomId> rooms, IEnumerable<Link> links)
    {
        ArgumentNullException.ThrowIfNull(rooms);
        ArgumentNullException.ThrowIfNull(links);

        var sorted = IndexOrder(rooms);
        var index = BuildIndex(sorted);
        var capacity = links.TryGetNonEnumeratedCount(out var count) ? count : 0;
        var builder = ImmutableArray.CreateBuilder<Link>(capacity);
        var indices = new List<(int, int)>(capacity);
        var qualities = new List<LinkQuality>(capacity);
        RoomId? lastFrom = null;
        var from = -1;
        foreach (var link in links)
        {
            ArgumentNullException.ThrowIfNull(link);
            if (link.From != lastFrom)
            {
                // Links come grouped by their reporter: one lookup per group.
                if (!index.TryGetValue(link.From, out from))
                {
                    throw new UnknownRoomException(link.From);
                }

                lastFrom = link.From;
            }

            if (!index.TryGetValue(link.To, out var to))
            {
                throw new UnknownRoomException(link.To);
            }

            builder.Add(link);
            indices.Add((from, to));
            qualities.Add(link.Quality);
        }

        var linkIndices = indices.ToArray();
        RejectSelfAndDuplicateLinks(sorted, linkIndices);
        return new TopologySnapshot(sorted, index, linkIndices, [.. qualities], builder.ToImmutable());
    }

    /// <summary>
    /// Builds a snapshot from links given by dense index into <paramref name="rooms"/>, which must be in
    /// <see cref="IndexOrder"/>: no object per link. A controller at 500 rooms builds a quarter of a million
    /// links on every recomputation, and as objects they cost more than the routes. Takes ownership of both
    /// arrays. Rejects indices out of range, self-links and duplicate directed links.
    /// </summary>
    public static TopologySnapshot Create(ImmutableArray<RoomId> rooms, (int From, int To)[] linkIndices, LinkQuality[] qualities)
    {
        ArgumentNullException.ThrowIfNull(linkIndices);
        ArgumentNullException.ThrowIfNull(qualities);
        if (rooms.IsDefault)
        {
            throw new ArgumentNullException(nameof(rooms));
        }

        if (linkIndices.Length != qualities.Length)
        {
            throw new ArgumentException($"{linkIndices.Length} link indices but {qualities.Length} qualities.", nameof(qualities));
        }

        if (!rooms.SequenceEqual(IndexOrder(rooms)))
        {
            throw new ArgumentException("Rooms must be distinct and in ordinal order, as IndexOrder gives them.", nameof(rooms));
        }

        foreach (var (from, to) in linkIndices)
        {
            if ((uint)from >= (uint)rooms.Length || (uint)to >= (uint)rooms.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(linkIndices), $"Link {from}->{to} is outside the {rooms.Length} rooms.");
            }
        }

        RejectSelfAndDuplicateLinks(rooms, linkIndices);
        return new TopologySnapshot(rooms, BuildIndex(rooms), linkIndices, qualities, default);
    }

    /// <summary>Rooms as a snapshot indexes them: distinct, in ordinal order (a room's dense index is its position).</summary>
    public static ImmutableArray<RoomId> IndexOrder(IEnumerable<RoomId> rooms)
    {
        ArgumentNullException.ThrowIfNull(rooms);
        var sorted = rooms.Distinct().Order().ToImmutableArray();
        foreach (var room in sorted)
        {
            if (room.Value is null)
            {
                throw new InvalidRoomIdException(null);
            }
        }

        return sorted;
    }

    private static FrozenDictionary<RoomId, int> BuildIndex(ImmutableArray<RoomId> sorted) =>
        sorted.Select((room, i) => (room, i)).ToFrozenDictionary(p => p.room, p => p.i);

    /// <summary>Checked against an n × n bit set: at 500 rooms a full mesh is 250k links, built on every recomputation.</summary>
    private static void RejectSelfAndDuplicateLinks(ImmutableArray<RoomId> rooms, (int From, int To)[] linkIndices)
    {
        var n = rooms.Length;
        var seen = new System.Collections.BitArray(checked(n * n));
        foreach (var (from, to) in linkIndices)
        {
            if (from == to)
            {
                throw new InvalidLinkException(rooms[from], rooms[to], "a room cannot link to itself");
            }

            if (seen[(from * n) + to])
            {
                throw new InvalidLinkException(rooms[from], rooms[to], "the directed link is given twice");
            }

            seen[(from * n) + to] = true;
        }
    }

    /// <summary>The dense index of a room, or an <see cref="UnknownRoomException"/>.</summary>
    public int IndexOf(RoomId room) =>
        _index.TryGetValue(room, out var i) ? i : throw new UnknownRoomException(room);

    public bool TryGetIndex(RoomId room, out int index) => _index.TryGetValue(room, out index);

    public bool Contains(RoomId room) => _index.ContainsKey(room);
}
