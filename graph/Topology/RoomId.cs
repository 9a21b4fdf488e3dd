namespace Msdn.Graph.Topology;

/// <summary>
/// The identity of an edge room (a small data centre running one or more relays).
/// 1–64 characters of letters, digits, '.', '_', ':' or '-', compared ordinally.
/// </summary>
public readonly record struct RoomId : IComparable<RoomId>
{
    public const int MaxLength = 64;

    public RoomId(string value)
    {
        if (!IsValid(value))
        {
            throw new InvalidRoomIdException(value);
        }

        Value = value;
    }

    public string Value { get; }

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public int CompareTo(RoomId other) => string.CompareOrdinal(Value, other.Value);

    public override string ToString() => Value ?? string.Empty;

    public static implicit operator RoomId(string value) => new(value);

    public static RoomId FromString(string value) => new(value);

    public static bool operator <(RoomId left, RoomId right) => left.CompareTo(right) < 0;

    public static bool operator >(RoomId left, RoomId right) => left.CompareTo(right) > 0;

    public static bool operator <=(RoomId left, RoomId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(RoomId left, RoomId right) => left.CompareTo(right) >= 0;
}
