using System.Collections.Immutable;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tables;

/// <summary>
/// The routes of one ordered room pair as a table publishes them: the primary path (least cost, or the
/// incumbent kept by hysteresis), its expected cost, and a backup that shares no link with the primary
/// (and no intermediate room where such a path exists) — or no backup when none exists.
/// Paths list every room from source to destination.
/// </summary>
public sealed record Route(
    RoomId From,
    RoomId To,
    ImmutableArray<RoomId> Primary,
    double Cost,
    ImmutableArray<RoomId>? Backup,
    double? BackupCost)
{
    public bool HasBackup => Backup is not null;

    /// <summary>A path written as room ids joined by '>'.</summary>
    public static string Format(IEnumerable<RoomId> path) => string.Join('>', path);
}
