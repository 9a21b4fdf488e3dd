using System.Diagnostics;

namespace Msdn.Load;

/// <summary>A server under load, as a child process (so its CPU is its own and measurable).</summary>
internal sealed class ChildServer : IAsyncDisposable
{
    private readonly Process _process;

    private ChildServer(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    /// <summary>Starts <c>dotnet dll args</c> and waits for it to print the URL it listens on (after <paramref name="marker"/>).</summary>
    public static async Task<ChildServer> StartAsync(string dll, string marker, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        _ = process.StandardError.ReadToEndAsync();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                var url = line[(at + marker.Length)..].Trim().Split(',')[0].Trim();
                // The rest of its output goes to a log beside the temp files, for a look after the run.
                var log = Path.Combine(Path.GetTempPath(), $"msdn-load-{Path.GetFileNameWithoutExtension(dll)}-{process.Id}.log");
                _ = Task.Run(async () =>
                {
                    await using var file = File.CreateText(log);
                    while (await process.StandardOutput.ReadLineAsync() is { } rest)
                    {
                        await file.WriteLineAsync(rest);
                    }
                });
                Console.WriteLine($"{Path.GetFileName(dll)} (pid {process.Id}) listening on {url}; its log: {log}");
                return new ChildServer(process, new Uri(url));
            }
        }

        throw new InvalidOperationException($"{dll} exited before listening (exit code {process.ExitCode})");
    }

    /// <summary>CPU seconds the process has used (user + system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

internal static class RouterProcess
{
    public static string DefaultDll => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../router/bin/Release/net10.0/msdn-router.dll"));

    public static readonly string Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static Task<ChildServer> StartAsync(FileInfo dll, params string[] extra) =>
        ChildServer.StartAsync(dll.FullName, "API on", ["--listen", "127.0.0.1:0", "--report-key", Key, "--Router:ReportsPerSecondPerRoom=1000", .. extra]);

    /// <summary>A room's credential (base64url HMAC-SHA256 of "room:" + room under the key), as the controller derives it.</summary>
    public static string Credential(string room) =>
        System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(Convert.FromBase64String(Key), System.Text.Encoding.UTF8.GetBytes("room:" + room)));
}
