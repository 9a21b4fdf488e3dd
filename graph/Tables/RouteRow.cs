namespace Msdn.Graph.Tables;

/// <summary>
/// All routes from one source room: one slot per target room (by dense index) and a shared buffer
/// of intermediate hops. A relay only ever needs its own row; a table is an array of rows so an
/// update copies only the rows it changes.
/// </summary>
internal sealed class RouteRow
{
    public RouteRow(int source, RouteSlot[] slots, int[] hops)
    {
        Source = source;
        Slots = slots;
        Hops = hops;
    }

    public int Source { get; }

    public static RouteRow Empty(int source, int targetCount)
    {
        var slots = new RouteSlot[targetCount];
        Array.Fill(slots, RouteSlot.None);
        return new RouteRow(source, slots, []);
    }

    public RouteSlot[] Slots { get; }

    public int[] Hops { get; }

    public ReadOnlySpan<int> PrimaryIntermediates(int target)
    {
        var slot = Slots[target];
        return slot.HasRoute ? Hops.AsSpan(slot.PrimaryOffset, slot.PrimaryCount) : default;
    }

    public ReadOnlySpan<int> BackupIntermediates(int target)
    {
        var slot = Slots[target];
        return slot.HasBackup ? Hops.AsSpan(slot.BackupOffset, slot.BackupCount) : default;
    }

    /// <summary>True when both rows hold the same routes for <paramref name="target"/> (paths and costs, bit for bit).</summary>
    public bool SameRoute(int target, RouteRow other, int otherTarget, ReadOnlySpan<int> indexMap) => SameRoute(target, other, otherTarget, indexMap, compareCosts: true);

    /// <summary>Whether the same rooms carry the route (primary and backup), whatever their costs now.</summary>
    public bool SamePaths(int target, RouteRow other, int otherTarget) => SameRoute(target, other, otherTarget, default, compareCosts: false);

    private bool SameRoute(int target, RouteRow other, int otherTarget, ReadOnlySpan<int> indexMap, bool compareCosts)
    {
        var a = Slots[target];
        var b = other.Slots[otherTarget];
        if (a.HasRoute != b.HasRoute || a.HasBackup != b.HasBackup)
        {
            return false;
        }

        if (!a.HasRoute)
        {
            return true;
        }

        if ((compareCosts && (a.Cost != b.Cost || (a.HasBackup && a.BackupCost != b.BackupCost)))
            || a.PrimaryCount != b.PrimaryCount || (a.HasBackup && a.BackupCount != b.BackupCount))
        {
            return false;
        }

        return SameHops(PrimaryIntermediates(target), other.PrimaryIntermediates(otherTarget), indexMap)
            && SameHops(BackupIntermediates(target), other.BackupIntermediates(otherTarget), indexMap);
    }

    private static bool SameHops(ReadOnlySpan<int> mine, ReadOnlySpan<int> theirs, ReadOnlySpan<int> indexMap)
    {
        // An empty map means both rows index the same room list.
        for (var i = 0; i < mine.Length; i++)
        {
            if (mine[i] != (indexMap.IsEmpty ? theirs[i] : indexMap[theirs[i]]))
            {
                return false;
            }
        }

        return true;
    }
}
