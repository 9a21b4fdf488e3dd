using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// What the controller sends each relay for a new table, as <c>/v1/routes</c> answers a relay that names the
/// destinations of its flows: the table restricted to its own row and the routes into those rooms at first, then
/// diffs restricted the same way (<see cref="RouteTableDiff.Restricted"/>), none when a version changes nothing it
/// reads, and an empty one before the controller would forget the version it holds. The relays of the virtual
/// engine are handed the whole table (what they read of it is the same); this counts the bytes they would be sent.
/// </summary>
internal sealed class VirtualRouteFeed(RoomId[] ids, int rememberedVersions)
{
    /// <summary>Each relay's destinations (null: more than it names, so the whole table).</summary>
    private readonly IReadOnlySet<RoomId>?[] _interest = [.. ids.Select(_ => new HashSet<RoomId>())];
    private readonly long[] _held = new long[ids.Length];

    /// <summary>A flow starts at <paramref name="from"/> for <paramref name="to"/>: its relay asks for the routes into <paramref name="to"/> from then on (whole, at its next fetch).</summary>
    public void Flow(int from, int to)
    {
        if (_interest[from] is { } held)
        {
            var interest = new HashSet<RoomId>(held) { ids[to] };
            _interest[from] = interest.Count > RouteTable.MaxDestinationsAsked ? null : interest;
        }

        _held[from] = 0;
    }

    /// <summary>A relay (re)started: it fetches its table whole.</summary>
    public void Restarted(int room) => _held[room] = 0;

    /// <summary>The bytes sent to the live relays for <paramref name="table"/>, the version after <paramref name="previous"/>.</summary>
    public long Bytes(RouteTable previous, RouteTable table, bool[] alive)
    {
        var diff = previous.Version == 0 ? null : RouteTableDiff.Between(previous, table);
        var bytes = new long[ids.Length];
        Parallel.For(0, ids.Length, room =>
        {
            if (!alive[room])
            {
                return;
            }

            if (diff is null || _held[room] == 0 || table.Version - _held[room] > rememberedVersions)
            {
                bytes[room] = RouteTableCodec.Encode(table.Restricted(ids[room], _interest[room])).Length;
                _held[room] = table.Version;
                return;
            }

            var mine = diff.Restricted(ids[room], _interest[room]);
            if (!mine.Changes.IsEmpty || mine.RoomsChanged || table.Version - _held[room] >= rememberedVersions / 2)
            {
                bytes[room] = RouteTableCodec.EncodeDiff(mine).Length;
                _held[room] = table.Version;
            }
        });
        return bytes.Sum();
    }
}
