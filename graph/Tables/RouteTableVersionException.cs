namespace Msdn.Graph.Tables;

/// <summary>A diff applied to a table of another version than the one it was computed from.</summary>
public sealed class RouteTableVersionException(long expected, long actual)
    : InvalidOperationException($"The diff applies to route table version {expected}, not {actual}; fetch the full table.")
{
    public long Expected { get; } = expected;

    public long Actual { get; } = actual;
}
