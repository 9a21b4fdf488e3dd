using System.Collections.Concurrent;
using System.Net;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Which relay of a peer room this relay's probe agent measures the room's link at. In a room of several, each
/// relay picks its own by rendezvous choice (keyed by its own name, so the room's relays are probed by their
/// peers about evenly), and moves to the next when the one it probes stops answering: a dead relay then holds
/// the room's link down for one down detection and a few answers, not until the directory names another.
/// </summary>
internal sealed class ProbeTargets(Func<string> self, TimeProvider time)
{
    /// <summary>How long a relay that stopped answering probes is passed over (it is probed again if every other also fails).</summary>
    public static readonly TimeSpan FailedFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(RoomId Room, EndPoint Relay), long> _failedUntil = new();
    private readonly ConcurrentDictionary<RoomId, EndPoint> _current = new();

    /// <summary>The probe endpoint to measure <paramref name="room"/> at, among its relays (relay endpoint, probe endpoint).</summary>
    public EndPoint? Choose(RoomId room, IReadOnlyList<(EndPoint Relay, EndPoint Probe)> relays)
    {
        if (relays.Count <= 1)
        {
            _current.TryRemove(room, out _);
            return relays.Count == 1 ? relays[0].Probe : null;
        }

        var now = time.GetTimestamp();
        var ordered = Msdn.Graph.Topology.NodeChoice.Order(self(), relays, r => r.Relay.ToString() ?? string.Empty);
        var chosen = ordered.FirstOrDefault(r => !(_failedUntil.TryGetValue((room, r.Relay), out var until) && now < until));
        if (chosen.Relay is null)
        {
            chosen = ordered[0]; // every one failed lately: start again from the first
        }

        _current[room] = chosen.Relay;
        return chosen.Probe;
    }

    /// <summary>The link to <paramref name="room"/> went down: the relay probed there is passed over. True when the room has another to probe.</summary>
    public bool Failed(RoomId room, int relays)
    {
        if (relays <= 1 || !_current.TryGetValue(room, out var probed))
        {
            return false;
        }

        _failedUntil[(room, probed)] = time.GetTimestamp() + (long)(FailedFor.TotalSeconds * time.TimestampFrequency);
        return true;
    }
}
