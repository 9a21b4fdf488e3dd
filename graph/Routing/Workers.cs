namespace Msdn.Graph.Routing;

/// <summary>Splits a count of independent items into contiguous ranges that threads claim as they go, as the route computation's passes do.</summary>
internal static class Workers
{
    /// <summary>Ranges per thread: enough that a thread the scheduler holds back (the drill runs its world on the same cores) leaves little for the others to wait on.</summary>
    private const int RangesPerThread = 8;

    /// <summary>
    /// Runs <paramref name="body"/>(from, to) over [0, <paramref name="count"/>) cut into contiguous ranges
    /// (a multiple of <paramref name="grain"/> items each, bar the last), claimed by at most
    /// <paramref name="parallelism"/> threads; with one thread, on the caller's alone, as one range. Which
    /// thread runs a range is left to chance, so a body must depend on its range only.
    /// </summary>
    public static void ForRanges(int count, int parallelism, Action<int, int> body, int grain = 1)
    {
        if (parallelism <= 1 || count <= grain)
        {
            body(0, count);
            return;
        }

        var size = Math.Max(grain, (count + (parallelism * RangesPerThread) - 1) / (parallelism * RangesPerThread) / grain * grain);
        var ranges = (count + size - 1) / size;
        Parallel.For(0, ranges, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, r => body(r * size, Math.Min(count, (r + 1) * size)));
    }
}
