using System.Globalization;

namespace Msdn.Sim.Soak;

/// <summary>
/// What one relay process holds at one moment: resident memory, the managed heap after the last collection,
/// open file descriptors (sockets, files) and threads. RSS, descriptors and threads come from <c>/proc</c>
/// (Linux: the soak runs where the relays do); the heap from the relay's own metrics.
/// </summary>
public sealed record ProcessSample(double Seconds, string Room, int Incarnation, double RssMiB, double HeapMiB, int Handles, int Threads)
{
    /// <summary>Reads <paramref name="pid"/>'s figures; null once the process is gone.</summary>
    public static ProcessSample? Read(double seconds, string room, int incarnation, int pid, string? metrics)
    {
        try
        {
            double rssKiB = 0;
            var threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rssKiB = double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }

            var handles = Directory.GetFiles($"/proc/{pid}/fd").Length;
            return new ProcessSample(seconds, room, incarnation, rssKiB / 1024, HeapBytes(metrics) / (1024.0 * 1024), handles, threads);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The managed heap after the last collection, all generations, from a Prometheus scrape of the System.Runtime meter (0 when absent).</summary>
    public static double HeapBytes(string? metrics)
    {
        if (metrics is null)
        {
            return 0;
        }

        double total = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            {
                total += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
