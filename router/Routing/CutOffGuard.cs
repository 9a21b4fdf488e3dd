namespace Msdn.Router.Routing;

/// <summary>
/// When most of the table's rooms fall silent together, it is the controller that was cut off (its network, a pause),
/// not they: recomputing then would take them out of every route, and publishing the tables computed as they report
/// again, over a second or two, would send every relay a room list shrunk and regrown. So the table is held from
/// then until rooms are heard again and have had <paramref name="settle"/> to report. Sans I/O: the route computer
/// grain and the virtual engine's controller both run it.
/// </summary>
public sealed class CutOffGuard(TimeSpan settle)
{
    private DateTimeOffset? _heardAgain;

    /// <summary>Whether the table is being held for a controller that was cut off.</summary>
    public bool CutOff { get; private set; }

    /// <summary>
    /// At a tick, with how many of the current table's rooms are silent now (stale or lapsed: counting from stale, the
    /// table is held before any of them leaves it); true when this makes the controller cut off.
    /// </summary>
    public bool Observe(int tableRooms, int silent)
    {
        if (CutOff || tableRooms == 0 || silent * 2 <= tableRooms)
        {
            return false;
        }

        CutOff = true;
        _heardAgain = null;
        return true;
    }

    /// <summary>A room's report arrived.</summary>
    public void Heard(DateTimeOffset now)
    {
        if (CutOff)
        {
            _heardAgain ??= now;
        }
    }

    /// <summary>Whether to keep the table rather than recompute now; once the rooms have had time to report again, no longer.</summary>
    public bool Holding(DateTimeOffset now)
    {
        if (CutOff && _heardAgain is { } heard && now >= heard + settle)
        {
            CutOff = false;
            _heardAgain = null;
        }

        return CutOff;
    }
}
