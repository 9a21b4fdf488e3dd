namespace Msdn.Graph.Tables;

/// <summary>Accumulates one source's routes, then freezes them into a <see cref="RouteRow"/>. Reusable.</summary>
internal sealed class RouteRowBuilder
{
    private RouteSlot[] _slots = [];
    private int[] _hops = new int[256];
    private int _hopCount;
    private int _source;

    /// <summary>The row this one still is, untouched (see <see cref="StartAs"/>).</summary>
    private RouteRow? _unchanged;

    public void Start(int source, int targetCount)
    {
        _unchanged = null;
        _source = source;
        _slots = GC.AllocateUninitializedArray<RouteSlot>(targetCount);
        Array.Fill(_slots, RouteSlot.None);
        _hopCount = 0;
    }

    /// <summary>
    /// Starts from an existing row, to change a few targets: its slots and hops are copied (two block
    /// copies), changed targets' paths are appended, and the buffer is compacted once dead hops dominate.
    /// </summary>
    public void StartFrom(RouteRow row)
    {
        _unchanged = null;
        _source = row.Source;
        _slots = (RouteSlot[])row.Slots.Clone();
        if (_hops.Length < row.Hops.Length + 64)
        {
            _hops = new int[(row.Hops.Length * 2) + 64];
        }

        row.Hops.CopyTo(_hops, 0);
        _hopCount = row.Hops.Length;
    }

    /// <summary>
    /// Starts as <paramref name="row"/> itself: targets whose routes stay as it has them need no call at all,
    /// and until one changes (<see cref="Set"/> or <see cref="Clear"/>, which copy it first) <see cref="Build"/>
    /// returns that very row. Most rows of a recomputation move no pair: they cost neither a copy nor a compare later.
    /// </summary>
    public void StartAs(RouteRow row)
    {
        _source = row.Source;
        _unchanged = row;
    }

    public void Clear(int target)
    {
        Change();
        _slots[target] = RouteSlot.None;
    }

    /// <summary>Sets target's routes; paths are intermediates only. An empty backup span with hasBackup false means no backup.</summary>
    public void Set(int target, ReadOnlySpan<int> primary, float cost, bool hasBackup, ReadOnlySpan<int> backup, float backupCost)
    {
        Change();
        ref var slot = ref _slots[target];
        slot.Cost = cost;
        slot.PrimaryOffset = Append(primary);
        slot.PrimaryCount = primary.Length;
        if (hasBackup)
        {
            slot.BackupCost = backupCost;
            slot.BackupOffset = Append(backup);
            slot.BackupCount = backup.Length;
        }
        else
        {
            slot.BackupCost = float.PositiveInfinity;
            slot.BackupOffset = -1;
            slot.BackupCount = 0;
        }
    }

    /// <summary>Copies target's routes from another row whose room indices map through <paramref name="indexMap"/>.</summary>
    public void CopyFrom(int target, RouteRow row, int rowTarget, ReadOnlySpan<int> indexMap, bool dropBackup = false)
    {
        var slot = row.Slots[rowTarget];
        if (!slot.HasRoute)
        {
            return;
        }

        Span<int> primary = slot.PrimaryCount <= 64 ? stackalloc int[slot.PrimaryCount] : new int[slot.PrimaryCount];
        Map(row.PrimaryIntermediates(rowTarget), indexMap, primary);
        var hasBackup = slot.HasBackup && !dropBackup;
        Span<int> backup = !hasBackup ? default : slot.BackupCount <= 64 ? stackalloc int[slot.BackupCount] : new int[slot.BackupCount];
        if (hasBackup)
        {
            Map(row.BackupIntermediates(rowTarget), indexMap, backup);
        }

        Set(target, primary, slot.Cost, hasBackup, backup, slot.BackupCost);
    }

    public RouteRow Build()
    {
        if (_unchanged is { } row)
        {
            return row;
        }

        var live = 0;
        foreach (var slot in _slots)
        {
            live += slot.HasRoute ? slot.PrimaryCount + slot.BackupCount : 0;
        }

        return live * 2 >= _hopCount ? new RouteRow(_source, _slots, _hops.AsSpan(0, _hopCount).ToArray()) : Compact();
    }

    private RouteRow Compact()
    {
        var row = new RouteRow(_source, _slots, _hops.AsSpan(0, _hopCount).ToArray());
        Start(_source, _slots.Length);
        for (var t = 0; t < row.Slots.Length; t++)
        {
            CopyFrom(t, row, t, default);
        }

        return new RouteRow(_source, _slots, _hops.AsSpan(0, _hopCount).ToArray());
    }

    /// <summary>A row started as another (<see cref="StartAs"/>) copies it before its first change.</summary>
    private void Change()
    {
        if (_unchanged is { } row)
        {
            StartFrom(row);
        }
    }

    private static void Map(ReadOnlySpan<int> from, ReadOnlySpan<int> indexMap, Span<int> to)
    {
        for (var i = 0; i < from.Length; i++)
        {
            to[i] = indexMap.IsEmpty ? from[i] : indexMap[from[i]];
        }
    }

    private int Append(ReadOnlySpan<int> hops)
    {
        if (_hopCount + hops.Length > _hops.Length)
        {
            Array.Resize(ref _hops, Math.Max(_hops.Length * 2, _hopCount + hops.Length));
        }

        var offset = _hopCount;
        hops.CopyTo(_hops.AsSpan(offset));
        _hopCount += hops.Length;
        return offset;
    }
}
