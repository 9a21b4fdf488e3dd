using Orleans;

namespace Msdn.Router.Rooms;

/// <summary>
/// The directory of relays the controller hands to every relay: each room's relay endpoint, client endpoint
/// and certificate fingerprint, as its relay last registered them. Versioned: every change of an entry (a room
/// joining, moving, re-keying, or being removed) takes the next version and stamps the entry with it, so
/// the changes since any version are the entries stamped after it, plus the removals after it. A relay that
/// follows the directory fetches a diff of what changed, not every entry each time.
/// </summary>
public sealed class RoomDirectory
{
    /// <summary>Removals remembered for diffs; a relay further behind than the oldest one forgotten gets the whole directory.</summary>
    public const int MaxRemovals = 4096;

    private readonly Dictionary<string, DirectoryEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _removed = new(StringComparer.Ordinal);
    private long _forgottenUpTo;

    public long Version { get; private set; }

    public int Count => _entries.Count;

    /// <summary>Takes a room's registration from its relays' latest reports; returns whether the directory changed.</summary>
    public bool Register(RoomRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Latest is not { } report)
        {
            return false;
        }

        var room = record.Room;
        var nodes = RoomNodes.Of(record);
        var entry = new DirectoryEntry(
            room,
            report.RelayEndpoint,
            report.ClientEndpoint,
            report.CertificateFingerprint,
            0,
            report.ProbeEndpoint,
            nodes.Count > 1 ? [.. nodes.Select(n => new DirectoryNode(n.Endpoint, n.Latest.ClientEndpoint, n.Latest.CertificateFingerprint, n.Latest.ProbeEndpoint, n.Latest.RelayState, Band(room, n)))] : null);
        if (_entries.TryGetValue(room, out var held) && Same(held, entry))
        {
            return false;
        }

        Version++;
        _entries[room] = entry with { Version = Version };
        _removed.Remove(room);
        return true;
    }

    /// <summary>The relay's load band (<see cref="Msdn.Graph.Topology.HeadroomBand"/>), from its latest report and the band the directory holds for it.</summary>
    private int Band(string room, NodeRecord node)
    {
        var held = _entries.TryGetValue(room, out var entry) ? entry.Nodes?.FirstOrDefault(n => n.RelayEndpoint == node.Endpoint)?.LoadBand ?? 0 : 0;
        return node.Latest.Load is { } load ? Msdn.Graph.Topology.HeadroomBand.Of(load.Utilization, held) : 0;
    }

    private static bool Same(DirectoryEntry held, DirectoryEntry entry) =>
        held with { Version = 0, Nodes = null } == entry with { Nodes = null }
        && (held.Nodes ?? []).SequenceEqual(entry.Nodes ?? []);

    /// <summary>Takes a room out (the operator removed it); returns whether it was in.</summary>
    public bool Remove(string room)
    {
        if (!_entries.Remove(room))
        {
            return false;
        }

        Version++;
        _removed[room] = Version;
        if (_removed.Count > MaxRemovals)
        {
            var oldest = _removed.MinBy(r => r.Value);
            _removed.Remove(oldest.Key);
            _forgottenUpTo = Math.Max(_forgottenUpTo, oldest.Value);
        }

        return true;
    }

    /// <summary>
    /// What a relay holding version <paramref name="since"/> needs: the changes after it, or the whole directory
    /// when it holds none, holds a version from before a restart (newer than this one), or is further behind
    /// than the removals remembered.
    /// </summary>
    public DirectoryAnswer Since(long? since)
    {
        if (since is not { } known || known > Version || known < _forgottenUpTo)
        {
            return new DirectoryAnswer(Version, true, [.. _entries.Values.OrderBy(e => e.Room, StringComparer.Ordinal)], []);
        }

        return new DirectoryAnswer(
            Version,
            false,
            [.. _entries.Values.Where(e => e.Version > known).OrderBy(e => e.Room, StringComparer.Ordinal)],
            [.. _removed.Where(r => r.Value > known).Select(r => r.Key).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Follows another directory (a silo's copy of the route computer's) by applying what it answered.</summary>
    public void Apply(DirectoryAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Full)
        {
            _entries.Clear();
            _removed.Clear();
            _forgottenUpTo = answer.Version; // a replica that started from a whole copy has no removals before it
        }

        foreach (var entry in answer.Entries)
        {
            _entries[entry.Room] = entry;
            _removed.Remove(entry.Room);
        }

        foreach (var room in answer.Removed)
        {
            _entries.Remove(room);
            _removed[room] = answer.Version;
        }

        Version = answer.Version;
    }
}

/// <summary>
/// One room in the directory, stamped with the directory version at which it last changed: its representative
/// relay, and, when it runs several, every one of them (<see cref="Nodes"/>, each trusted and reachable alike).
/// </summary>
[GenerateSerializer, Immutable, Alias("msdn.DirectoryEntry")]
public sealed record DirectoryEntry(
    [property: Id(0)] string Room,
    [property: Id(1)] string RelayEndpoint,
    [property: Id(2)] string? ClientEndpoint,
    [property: Id(3)] string? CertificateFingerprint,
    [property: Id(4)] long Version,
    [property: Id(5)] string? ProbeEndpoint = null,
    [property: Id(6)] DirectoryNode[]? Nodes = null);

/// <summary>One relay of a room of several, in the directory: <see cref="LoadBand"/> is its load in coarse bands (<see cref="Msdn.Graph.Topology.HeadroomBand"/>), which hops weigh it by.</summary>
[GenerateSerializer, Immutable, Alias("msdn.DirectoryNode")]
public sealed record DirectoryNode(
    [property: Id(0)] string RelayEndpoint,
    [property: Id(1)] string? ClientEndpoint,
    [property: Id(2)] string? CertificateFingerprint,
    [property: Id(3)] string? ProbeEndpoint,
    [property: Id(4)] string RelayState,
    [property: Id(5)] int LoadBand = 0);

/// <summary>The directory at <see cref="Version"/>: every entry (<see cref="Full"/>), or the entries changed and the rooms removed since the version asked about.</summary>
[GenerateSerializer, Immutable, Alias("msdn.DirectoryAnswer")]
public sealed record DirectoryAnswer(
    [property: Id(0)] long Version,
    [property: Id(1)] bool Full,
    [property: Id(2)] DirectoryEntry[] Entries,
    [property: Id(3)] string[] Removed);
