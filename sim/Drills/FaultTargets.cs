namespace Msdn.Sim.Drills;

/// <summary>What both engines ask when they aim a fault: does a path cross a link (either way)?</summary>
public static class FaultTargets
{
    public static bool Crosses<T>(IReadOnlyList<T> path, T from, T to)
    {
        ArgumentNullException.ThrowIfNull(path);
        var same = EqualityComparer<T>.Default;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if ((same.Equals(path[i], from) && same.Equals(path[i + 1], to)) || (same.Equals(path[i], to) && same.Equals(path[i + 1], from)))
            {
                return true;
            }
        }

        return false;
    }
}
