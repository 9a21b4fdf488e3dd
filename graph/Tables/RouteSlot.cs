namespace Msdn.Graph.Tables;

/// <summary>
/// One ordered pair's routes inside a <see cref="RouteRow"/>: costs and where its paths' intermediate
/// rooms sit in the row's hop buffer. Paths are stored without their ends (always the row's source
/// and the slot's target), so a direct link has no intermediates.
/// </summary>
internal struct RouteSlot
{
    public static readonly RouteSlot None = new() { PrimaryOffset = -1, BackupOffset = -1, Cost = float.PositiveInfinity, BackupCost = float.PositiveInfinity };

    public float Cost;
    public float BackupCost;
    public int PrimaryOffset;
    public int PrimaryCount;
    public int BackupOffset;
    public int BackupCount;

    public readonly bool HasRoute => PrimaryOffset >= 0;

    public readonly bool HasBackup => BackupOffset >= 0;
}
