using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Control;

/// <summary>
/// The rooms this relay's flows go to: the destinations whose routes from every room it asks the controller for
/// (the onward paths of its local detours, <see cref="RouteTable.Restricted"/>), besides its own row. A room stays
/// of interest for <see cref="Memory"/> after its last flow ends, so an engine that comes back finds its detours in
/// place. Past <see cref="RouteTable.MaxDestinationsAsked"/> rooms the relay asks for the whole table.
/// </summary>
public sealed class RouteInterest(Func<IEnumerable<RoomId>> flowing, TimeProvider time)
{
    public static readonly TimeSpan Memory = TimeSpan.FromMinutes(10);

    private readonly Dictionary<RoomId, long> _lastSeen = [];

    /// <summary>The destinations to ask for now; null for the whole table.</summary>
    public IReadOnlySet<RoomId>? Now()
    {
        lock (_lastSeen)
        {
            var now = time.GetTimestamp();
            foreach (var destination in flowing())
            {
                _lastSeen[destination] = now;
            }

            foreach (var (room, seen) in _lastSeen.Where(e => time.GetElapsedTime(e.Value, now) > Memory).ToList())
            {
                _lastSeen.Remove(room);
            }

            return _lastSeen.Count > RouteTable.MaxDestinationsAsked ? null : _lastSeen.Keys.ToHashSet();
        }
    }

    /// <summary>Whether a table restricted to <paramref name="held"/> (null: whole) has every route <paramref name="wanted"/> needs.</summary>
    public static bool Covers(IReadOnlySet<RoomId>? held, IReadOnlySet<RoomId>? wanted) =>
        held is null || (wanted is not null && wanted.IsSubsetOf(held));
}
