using System.Collections.Immutable;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tables;

/// <summary>
/// Re-expresses a table over another room list: pairs whose rooms are gone, and paths through a room
/// that is gone, are dropped. Lets hysteresis and diffs compare tables index by index.
/// </summary>
internal static class RouteTableRemap
{
    public static RouteTable To(RouteTable table, ImmutableArray<RoomId> rooms)
    {
        if (table.Rooms.SequenceEqual(rooms))
        {
            return table;
        }

        // oldToNew[i] is the new index of old room i, or -1 when it is gone.
        var oldToNew = table.Rooms.Select(room => rooms.IndexOf(room)).ToArray();
        var newToOld = rooms.Select(room => table.Contains(room) ? table.IndexOf(room) : -1).ToArray();
        var builder = new RouteRowBuilder();
        var rows = new RouteRow[rooms.Length];
        for (var s = 0; s < rooms.Length; s++)
        {
            builder.Start(s, rooms.Length);
            var oldS = newToOld[s];
            if (oldS >= 0)
            {
                var oldRow = table.Rows[oldS];
                for (var t = 0; t < rooms.Length; t++)
                {
                    var oldT = newToOld[t];
                    if (oldT >= 0 && AllPresent(oldRow.PrimaryIntermediates(oldT), oldToNew))
                    {
                        builder.CopyFrom(t, oldRow, oldT, oldToNew, dropBackup: !AllPresent(oldRow.BackupIntermediates(oldT), oldToNew));
                    }
                }
            }

            rows[s] = builder.Build();
        }

        return new RouteTable(table.Version, rooms, rows);
    }

    private static bool AllPresent(ReadOnlySpan<int> hops, int[] oldToNew)
    {
        foreach (var hop in hops)
        {
            if (oldToNew[hop] < 0)
            {
                return false;
            }
        }

        return true;
    }
}
