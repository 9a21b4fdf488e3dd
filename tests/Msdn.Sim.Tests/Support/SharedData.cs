namespace Msdn.Sim.Tests.Support;

/// <summary>
/// Finds the measured data kept beside the repository (../shared/data), never inside it. A user's clone
/// has no ../shared: tests that need the data skip, saying so. MSDN_WONDERPROXY_DIR overrides the path.
/// </summary>
internal static class SharedData
{
    public static string? WonderProxyDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("MSDN_WONDERPROXY_DIR");
        if (!string.IsNullOrEmpty(configured))
        {
            return Directory.Exists(configured) ? configured : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Msdn.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "wonderproxy-2020"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }

    public const string MissingReason =
        "WonderProxy data not found: it lives outside the repository at ../shared/data/wonderproxy-2020 (or set MSDN_WONDERPROXY_DIR).";
}
