using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>
/// Every link's estimate as the last route computation read it (the live rooms' records, shared, not copied): what a
/// path's expected RTT and loss are made of. A lookup finds the reporter's record and scans its links, so nothing per
/// link is built for the hundreds of thousands of links that no lookup asks about.
/// </summary>
[GenerateSerializer, Immutable, Alias("msdn.LinkEstimates")]
public sealed class LinkEstimates
{
    [Id(0)] private readonly RoomRecord[] _records;

    [NonSerialized] private Dictionary<string, RoomRecord>? _byRoom;

    public LinkEstimates(IEnumerable<RoomRecord> records) => _records = [.. records ?? throw new ArgumentNullException(nameof(records))];

    public static LinkEstimates None { get; } = new([]);

    /// <summary>The link from <paramref name="from"/> to <paramref name="to"/>, when <paramref name="from"/> reported it up.</summary>
    public bool TryGet(string from, string to, out LinkMetric metric)
    {
        var byRoom = _byRoom ??= _records.ToDictionary(r => r.Room, StringComparer.Ordinal);
        if (byRoom.TryGetValue(from, out var record) && record.Latest is { } report)
        {
            foreach (var estimate in report.Links)
            {
                if (estimate.Up && string.Equals(estimate.Peer, to, StringComparison.Ordinal))
                {
                    metric = new LinkMetric(from, to, estimate.RttMs, estimate.DirectedLoss);
                    return true;
                }
            }
        }

        metric = null!;
        return false;
    }
}
