using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using MessagePack;
using Msdn.Graph.Tables.Wire;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Tables;

/// <summary>
/// The compact MessagePack encoding of route tables and diffs for distribution to relays. Decoding is
/// bounded (payload size, rooms, path length) and every inconsistency is a <see cref="RouteTableFormatException"/>.
/// </summary>
public static class RouteTableCodec
{
    /// <summary>Largest accepted payload: a 1,000-room table with backups is a few tens of MB.</summary>
    public const int MaxPayloadBytes = 512 * 1024 * 1024;

    public const int MaxRooms = 100_000;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static byte[] Encode(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = new List<RouteRowMessage>(table.Rows.Length);
        foreach (var row in table.Rows)
        {
            var targets = Enumerable.Range(0, table.Rooms.Length).Where(t => row.Slots[t].HasRoute).ToArray();
            if (targets.Length > 0)
            {
                rows.Add(EncodeRow(row, targets));
            }
        }

        var message = new RouteTableMessage { Version = table.Version, Rooms = [.. table.Rooms.Select(r => r.Value)], Rows = [.. rows] };
        return MessagePackSerializer.Serialize(message, Options);
    }

    public static RouteTable Decode(ReadOnlyMemory<byte> payload)
    {
        var message = Deserialize<RouteTableMessage>(payload);
        var rooms = DecodeRooms(message.Rooms);
        var rows = Enumerable.Range(0, rooms.Length).Select(s => RouteRow.Empty(s, rooms.Length)).ToArray();
        var builder = new RouteRowBuilder();
        var seen = new HashSet<int>();
        var (rowTargets, pathRooms) = (new RoomMarks(rooms.Length), new RoomMarks(rooms.Length));
        foreach (var row in message.Rows ?? [])
        {
            Check(row is not null && row.Source >= 0 && row.Source < rooms.Length && seen.Add(row.Source), "row source missing, out of range or repeated");
            builder.Start(row!.Source, rooms.Length);
            DecodeRow(row, rooms.Length, builder, rowTargets, pathRooms, allowRemovals: false);
            rows[row.Source] = builder.Build();
        }

        return new RouteTable(message.Version, rooms, rows);
    }

    public static byte[] EncodeDiff(RouteTableDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        var index = diff.Rooms.Select((room, i) => (room, i)).ToDictionary(p => p.room, p => p.i);
        var rows = new List<RouteRowMessage>();
        foreach (var group in diff.Changes.GroupBy(c => index[c.From]))
        {
            var targets = new List<int>();
            var costs = new List<float>();
            var backupCosts = new List<float>();
            var hops = new List<int>();
            foreach (var change in group)
            {
                targets.Add(index[change.To]);
                if (change.Route is not { } route)
                {
                    costs.Add(float.PositiveInfinity);
                    backupCosts.Add(float.PositiveInfinity);
                    hops.Add(-1);
                    continue;
                }

                costs.Add((float)route.Cost);
                backupCosts.Add((float)(route.BackupCost ?? double.PositiveInfinity));
                AppendPath(hops, route.Primary, index);
                if (route.Backup is { } backup)
                {
                    AppendPath(hops, backup, index);
                }
                else
                {
                    hops.Add(-1);
                }
            }

            rows.Add(new RouteRowMessage { Source = group.Key, Targets = [.. targets], Costs = [.. costs], BackupCosts = [.. backupCosts], Hops = [.. hops] });
        }

        var message = new RouteTableDiffMessage
        {
            FromVersion = diff.FromVersion,
            ToVersion = diff.ToVersion,
            Rooms = diff.RoomsChanged ? [.. diff.Rooms.Select(r => r.Value)] : null,
            Rows = [.. rows],
        };
        return MessagePackSerializer.Serialize(message, Options);
    }

    /// <param name="held">The table the diff will be applied to: its rooms are the diff's when the encoding leaves them out.</param>
    public static RouteTableDiff DecodeDiff(ReadOnlyMemory<byte> payload, RouteTable? held = null)
    {
        var message = Deserialize<RouteTableDiffMessage>(payload);
        Check(message.Rooms is not null || held is not null, "the diff leaves its rooms to the table it amends, and there is none");
        var rooms = message.Rooms is null ? held!.Rooms : DecodeRooms(message.Rooms);
        var changes = ImmutableArray.CreateBuilder<RouteChange>();
        var builder = new RouteRowBuilder();
        var seen = new HashSet<int>();
        var (rowTargets, pathRooms) = (new RoomMarks(rooms.Length), new RoomMarks(rooms.Length));
        foreach (var row in message.Rows ?? [])
        {
            Check(row is not null && row.Source >= 0 && row.Source < rooms.Length && seen.Add(row.Source), "row source missing, out of range or repeated");
            builder.Start(row!.Source, rooms.Length);
            var removed = DecodeRow(row, rooms.Length, builder, rowTargets, pathRooms, allowRemovals: true);
            var built = builder.Build();
            foreach (var t in row.Targets ?? [])
            {
                changes.Add(new RouteChange(rooms[row.Source], rooms[t], removed.Contains(t) ? null : RouteTable.ToRoute(rooms, built, t)));
            }
        }

        return new RouteTableDiff(message.FromVersion, message.ToVersion, rooms, changes.ToImmutable(), message.Rooms is not null);
    }

    private static RouteRowMessage EncodeRow(RouteRow row, int[] targets)
    {
        // Each target: the primary's hop count and hops, then the backup's (or -1): sized once, written in place.
        var length = 0;
        foreach (var t in targets)
        {
            var slot = row.Slots[t];
            length += 1 + slot.PrimaryCount + 1 + (slot.HasBackup ? slot.BackupCount : 0);
        }

        var hops = GC.AllocateUninitializedArray<int>(length);
        var costs = GC.AllocateUninitializedArray<float>(targets.Length);
        var backupCosts = GC.AllocateUninitializedArray<float>(targets.Length);
        var at = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            var t = targets[i];
            costs[i] = row.Slots[t].Cost;
            backupCosts[i] = row.Slots[t].BackupCost;
            at = WritePath(hops, at, row.PrimaryIntermediates(t));
            if (row.Slots[t].HasBackup)
            {
                at = WritePath(hops, at, row.BackupIntermediates(t));
            }
            else
            {
                hops[at++] = -1;
            }
        }

        return new RouteRowMessage { Source = row.Source, Targets = targets, Costs = costs, BackupCosts = backupCosts, Hops = hops };
    }

    private static int WritePath(int[] hops, int at, ReadOnlySpan<int> path)
    {
        hops[at++] = path.Length;
        path.CopyTo(hops.AsSpan(at));
        return at + path.Length;
    }

    /// <summary>Validates one row message into the builder; returns the targets it removes (diffs only).</summary>
    /// <param name="seen">For the row's targets (one set for a whole decode: emptied here).</param>
    /// <param name="marks">For each path's rooms (likewise).</param>
    private static HashSet<int> DecodeRow(RouteRowMessage row, int roomCount, RouteRowBuilder builder, RoomMarks seen, RoomMarks marks, bool allowRemovals)
    {
        var targets = row.Targets ?? [];
        var hops = row.Hops ?? [];
        Check(row.Costs is not null && row.BackupCosts is not null && row.Costs.Length == targets.Length && row.BackupCosts.Length == targets.Length, $"row {row.Source}: costs do not match targets");
        var removed = new HashSet<int>();
        seen.Clear();
        var at = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            var t = targets[i];
            Check(t >= 0 && t < roomCount && t != row.Source && seen.Add(t), $"row {row.Source}: target {t} out of range, the source itself, or repeated");
            var primary = ReadPath(hops, ref at, roomCount, row.Source, t, marks, out var primaryPresent);
            if (!primaryPresent)
            {
                Check(allowRemovals, $"row {row.Source}: target {t} has no primary path");
                removed.Add(t);
                continue;
            }

            var backup = ReadPath(hops, ref at, roomCount, row.Source, t, marks, out var hasBackup);
            var cost = row.Costs![i];
            var backupCost = row.BackupCosts![i];
            Check(float.IsFinite(cost) && cost >= 0, $"row {row.Source}: target {t} has cost {cost}");
            Check(!hasBackup || (float.IsFinite(backupCost) && backupCost >= 0), $"row {row.Source}: target {t} has backup cost {backupCost}");
            builder.Set(t, primary, cost, hasBackup, backup, hasBackup ? backupCost : float.PositiveInfinity);
        }

        Check(at == hops.Length, $"row {row.Source}: {hops.Length - at} trailing hop values");
        return removed;
    }

    /// <summary>The next path's intermediates, read in place (the builder copies them).</summary>
    private static ReadOnlySpan<int> ReadPath(int[] hops, ref int at, int roomCount, int source, int target, RoomMarks marks, out bool present)
    {
        Check(at < hops.Length, $"row {source}: hops end early");
        var count = hops[at++];
        present = count >= 0;
        if (!present)
        {
            Check(count == -1, $"row {source}: invalid hop count {count}");
            return [];
        }

        Check(count <= roomCount - 2 && at + count <= hops.Length, $"row {source}: hop count {count} too large");
        var path = hops.AsSpan(at, count);
        at += count;
        marks.Clear();
        marks.Add(source);
        marks.Add(target);
        foreach (var hop in path)
        {
            Check(hop >= 0 && hop < roomCount && marks.Add(hop), $"row {source}: path to {target} has an invalid or repeated room {hop}");
        }

        return path;
    }

    private static void AppendPath(List<int> hops, ImmutableArray<RoomId> path, Dictionary<RoomId, int> index)
    {
        hops.Add(path.Length - 2);
        for (var i = 1; i < path.Length - 1; i++)
        {
            hops.Add(index[path[i]]);
        }
    }

    private static ImmutableArray<RoomId> DecodeRooms(string[]? names)
    {
        Check(names is not null && names.Length <= MaxRooms, $"room list missing or longer than {MaxRooms}");
        var rooms = ImmutableArray.CreateBuilder<RoomId>(names!.Length);
        foreach (var name in names)
        {
            Check(RoomId.IsValid(name), $"invalid room id '{name}'");
            var room = new RoomId(name);
            Check(rooms.Count == 0 || rooms[^1] < room, "room list is not sorted and distinct");
            rooms.Add(room);
        }

        return rooms.MoveToImmutable();
    }

    private static T Deserialize<T>(ReadOnlyMemory<byte> payload)
    {
        Check(payload.Length <= MaxPayloadBytes, $"payload of {payload.Length} bytes exceeds {MaxPayloadBytes}");
        try
        {
            return MessagePackSerializer.Deserialize<T>(payload, Options) ?? throw new RouteTableFormatException("empty payload");
        }
        catch (MessagePackSerializationException e)
        {
            throw new RouteTableFormatException($"malformed route table payload: {e.Message}", e);
        }
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new RouteTableFormatException($"Invalid route table: {problem}.");
        }
    }

    /// <summary>As <see cref="Check(bool, string)"/>, formatting the problem only when there is one: a table has half a million paths to check.</summary>
    private static void Check(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref ProblemHandler problem)
    {
        if (!condition)
        {
            throw new RouteTableFormatException($"Invalid route table: {problem.ToStringAndClear()}.");
        }
    }
}
