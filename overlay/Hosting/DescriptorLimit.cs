using System.Globalization;

namespace Msdn.Overlay.Hosting;

/// <summary>How many file descriptors this process may hold open (Linux: <c>/proc/self/limits</c>); null where it cannot tell.</summary>
internal static class DescriptorLimit
{
    /// <summary>Descriptors a relay holds before any client connects (runtime, listeners, peer connections, logs), with room to spare.</summary>
    public const int Baseline = 512;

    public static long? Current()
    {
        const string path = "/proc/self/limits";
        if (!OperatingSystem.IsLinux() || !File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
            }
        }

        return null;
    }
}
