namespace Msdn.Graph.Topology;

/// <summary>Base of every typed error about rooms, links and link quality given to the routing core.</summary>
public abstract class TopologyException : ArgumentException
{
    protected TopologyException(string message)
        : base(message)
    {
    }
}

/// <summary>A room id that is empty, too long or has characters outside the allowed set.</summary>
public sealed class InvalidRoomIdException(string? value)
    : TopologyException($"Invalid room id '{value}': expected 1-{RoomId.MaxLength} characters of letters, digits, '.', '_', ':' or '-'.")
{
    public string? Value { get; } = value;
}

/// <summary>A link or lookup names a room that is not in the topology.</summary>
public sealed class UnknownRoomException(RoomId room)
    : TopologyException($"Unknown room '{room}'.")
{
    public RoomId Room { get; } = room;
}

/// <summary>A link that cannot exist: from a room to itself, or the same directed link given twice.</summary>
public sealed class InvalidLinkException(RoomId from, RoomId to, string reason)
    : TopologyException($"Invalid link {from}->{to}: {reason}.")
{
    public RoomId From { get; } = from;

    public RoomId To { get; } = to;
}

/// <summary>A measured value outside its domain (negative, NaN or infinite RTT or jitter; loss outside [0,1]).</summary>
public sealed class InvalidLinkQualityException(string field, double value, string expected)
    : TopologyException($"Invalid link quality: {field} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}, expected {expected}.")
{
    public string Field { get; } = field;

    public double Value { get; } = value;
}
