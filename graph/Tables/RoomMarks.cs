namespace Msdn.Graph.Tables;

/// <summary>
/// A set of room indices below a bound, emptied in constant time: decoding checks every path for repeated rooms,
/// and a set per path was most of what decoding a table allocated.
/// </summary>
internal sealed class RoomMarks(int roomCount)
{
    private readonly int[] _marks = new int[roomCount];
    private int _generation = 1;

    /// <summary>Adds <paramref name="room"/> (in range: the caller checked); false when it was already in.</summary>
    public bool Add(int room)
    {
        if (_marks[room] == _generation)
        {
            return false;
        }

        _marks[room] = _generation;
        return true;
    }

    public void Clear()
    {
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_marks);
            _generation = 1;
        }
    }
}
