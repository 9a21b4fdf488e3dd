namespace Msdn.Graph.Routing;

/// <summary>Splits a count of independent items into contiguous ranges, one per thread, as the route computation's passes do.</summary>
internal static class Workers
{
    /// <summary>
    /// Runs <paramref name="body"/>(worker, from, to) over [0, <paramref name="count"/>) cut into at most
    /// <paramref name="parallelism"/> contiguous ranges; with one range, on the caller's thread alone.
    /// Returns how many ranges (workers) it used.
    /// </summary>
    public static int ForRanges(int count, int parallelism, Action<int, int, int> body)
    {
        var workers = Math.Clamp(parallelism, 1, Math.Max(1, count));
        if (workers == 1)
        {
            body(0, 0, count);
        }
        else
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w => body(w, count * w / workers, count * (w + 1) / workers));
        }

        return workers;
    }
}
