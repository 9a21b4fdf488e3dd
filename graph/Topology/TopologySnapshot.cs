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

    private TopologySnapshot(ImmutableArray<RoomId> rooms, FrozenDictionary<RoomId, int> index, ImmutableArray<Link> links, (int From, int To)[] linkIndices)
    {
        LinkIndices = linkIndices;
        Rooms = rooms;
        _index = index;
        Links = links;
    }

    public ImmutableArray<RoomId> Rooms { get; }

    public ImmutableArray<Link> Links { get; }

    public int RoomCount => Rooms.Length;

    /// <summary>The dense (from, to) indices of <see cref="Links"/>, position by position.</summary>
    internal (int From, int To)[] LinkIndices { get; }

    /// <summary>Builds a snapshot, rejecting unknown rooms, self-links and duplicate directed links.</summary>
    public static TopologySnapshot Create(IEnumerable<RoomId> rooms, IEnumerable<Link> links)
    {
        ArgumentNullException.ThrowIfNull(rooms);
        ArgumentNullException.ThrowIfNull(links);

        var sorted = rooms.Distinct().Order().ToImmutableArray();
        foreach (var room in sorted)
        {
            if (room.Value is null)
            {
                throw new InvalidRoomIdException(null);
            }
        }

        var index = sorted.Select((room, i) => (room, i)).ToFrozenDictionary(p => p.room, p => p.i);
        var n = sorted.Length;

        // Sized up front and checked against an n × n bit set: at 500 rooms a full mesh is 250k links, built on every recomputation.
        var capacity = links.TryGetNonEnumeratedCount(out var count) ? count : 0;
        var seen = new System.Collections.BitArray(checked(n * n));
        var builder = ImmutableArray.CreateBuilder<Link>(capacity);
        var indices = new List<(int, int)>(capacity);
        RoomId? lastFrom = null;
        var from = -1;
        foreach (var link in links)
        {
            ArgumentNullException.ThrowIfNull(link);
            if (link.From == link.To)
            {
                throw new InvalidLinkException(link.From, link.To, "a room cannot link to itself");
            }

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

            if (seen[(from * n) + to])
            {
                throw new InvalidLinkException(link.From, link.To, "the directed link is given twice");
            }

            seen[(from * n) + to] = true;
            builder.Add(link);
            indices.Add((from, to));
        }

        return new TopologySnapshot(sorted, index, builder.ToImmutable(), [.. indices]);
    }

    /// <summary>The dense index of a room, or an <see cref="UnknownRoomException"/>.</summary>
    public int IndexOf(RoomId room) =>
        _index.TryGetValue(room, out var i) ? i : throw new UnknownRoomException(room);

    public bool TryGetIndex(RoomId room, out int index) => _index.TryGetValue(room, out index);

    public bool Contains(RoomId room) => _index.ContainsKey(room);
}
