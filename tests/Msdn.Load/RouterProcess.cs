using Msdn.Sim.Drills.Loopback;

namespace Msdn.Load;

/// <summary>A server under load, as a child process (so its CPU is its own and measurable), with the URL it printed.</summary>
internal sealed class ChildServer(ChildProcess process, Uri url) : IAsyncDisposable
{
    public Uri Url { get; } = url;

    public TimeSpan CpuTime => process.CpuTime;

    /// <summary>Starts <c>dotnet dll args</c> and waits for it to print its URL after <paramref name="marker"/>; its output goes to a log file.</summary>
    public static async Task<ChildServer> StartAsync(string dll, string marker, params string[] args)
    {
        var log = Path.Combine(Path.GetTempPath(), $"msdn-load-{Path.GetFileNameWithoutExtension(dll)}-{Guid.NewGuid():N}.log");
        var (process, line) = await ChildProcess.StartAsync(dll, log, marker, args, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var url = line.Trim().Split(',')[0].Trim();
        Console.WriteLine($"{Path.GetFileName(dll)} (pid {process.Pid}) listening on {url}; its log: {log}");
        return new ChildServer(process, new Uri(url));
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}

internal static class RouterProcess
{
    /// <summary>The controller built beside this tool (it references the drills, which reference the controller).</summary>
    public static string DefaultDll => Path.Combine(AppContext.BaseDirectory, "msdn-router.dll");

    public static readonly string Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Writes a key to a file only this user can read, for a child process (keys never go on a command line).</summary>
    public static string KeyFile(string name, string key)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("msdn-load-").FullName, name);
        Msdn.Tokens.SecretFile.Write(file, key);
        return file;
    }

    public static Task<ChildServer> StartAsync(FileInfo dll, params string[] extra) =>
        ChildServer.StartAsync(dll.FullName, "API on", ["--listen", "127.0.0.1:0", "--report-key-file", KeyFile("report.key", Key), "--data-directory", Directory.CreateTempSubdirectory("msdn-load-router-").FullName, "--Router:ReportsPerSecondPerRoom=1000", .. extra]);

    /// <summary>A room's credential (base64url HMAC-SHA256 of "room:" + room under the key), as the controller derives it.</summary>
    public static string Credential(string room) =>
        System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(Convert.FromBase64String(Key), System.Text.Encoding.UTF8.GetBytes("room:" + room)));
}
