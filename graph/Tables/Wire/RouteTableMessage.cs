using MessagePack;

namespace Msdn.Graph.Tables.Wire;

/// <summary>A whole route table on the wire. Rooms are listed once; paths refer to them by index.</summary>
[MessagePackObject]
public sealed class RouteTableMessage
{
    [Key(0)]
    public long Version { get; set; }

    [Key(1)]
    public string[] Rooms { get; set; } = [];

    [Key(2)]
    public RouteRowMessage[] Rows { get; set; } = [];
}

/// <summary>A diff on the wire: rows carry only the targets that changed.</summary>
[MessagePackObject]
public sealed class RouteTableDiffMessage
{
    [Key(0)]
    public long FromVersion { get; set; }

    [Key(1)]
    public long ToVersion { get; set; }

    /// <summary>The newer version's rooms; absent (nil) when they are the older version's, which the receiver holds.</summary>
    [Key(2)]
    public string[]? Rooms { get; set; }

    [Key(3)]
    public RouteRowMessage[] Rows { get; set; } = [];
}

/// <summary>
/// Routes from one source. For each entry of <see cref="Targets"/>, <see cref="Hops"/> holds in order:
/// the primary's intermediate count and rooms, then the backup's count (-1 for no backup) and rooms.
/// In a diff a primary count of -1 means the pair no longer has a route (and nothing else follows).
/// </summary>
[MessagePackObject]
public sealed class RouteRowMessage
{
    [Key(0)]
    public int Source { get; set; }

    [Key(1)]
    public int[] Targets { get; set; } = [];

    [Key(2)]
    public float[] Costs { get; set; } = [];

    [Key(3)]
    public float[] BackupCosts { get; set; } = [];

    [Key(4)]
    public int[] Hops { get; set; } = [];
}
