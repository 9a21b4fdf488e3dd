using System.Diagnostics;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>A real relay or controller process (of a loopback drill, or under a load generator): started from its built dll, its output in a log file, killable.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _logging;

    private ChildProcess(Process process, string log, Task logging)
    {
        _process = process;
        Log = log;
        _logging = logging;
    }

    public string Log { get; }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    /// <summary>CPU time the process has used (user + system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Starts <c>dotnet dll args</c> (inside network namespace <paramref name="netns"/> when given: <c>ip netns exec</c>
    /// becomes the process, so killing it kills the relay); returns once a line of its output contains
    /// <paramref name="ready"/> (the rest of that line is returned).
    /// </summary>
    public static async Task<(ChildProcess Process, string Line)> StartAsync(string dll, string log, string ready, IEnumerable<string> args, TimeSpan timeout, string? netns = null)
    {
        var start = new ProcessStartInfo(netns is null ? "dotnet" : "ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (netns is not null)
        {
            foreach (var arg in new[] { "netns", "exec", netns, "dotnet" })
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Logging__Console__FormatterName"] = "simple";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = File.CreateText(log);
        async Task Pump(StreamReader reader)
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (writer)
                {
                    writer.WriteLine(line);
                }

                var at = line.IndexOf(ready, StringComparison.Ordinal);
                if (at >= 0)
                {
                    seen.TrySetResult(line[(at + ready.Length)..]);
                }
            }
        }

        var logging = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError)).ContinueWith(_ => writer.Dispose(), TaskScheduler.Default);
        var child = new ChildProcess(process, log, logging);
        var first = await Task.WhenAny(seen.Task, process.WaitForExitAsync(), Task.Delay(timeout)).ConfigureAwait(false);
        if (first != seen.Task)
        {
            await child.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{Path.GetFileName(dll)} did not start (see {log})");
        }

        return (child, await seen.Task.ConfigureAwait(false));
    }

    /// <summary>Kills the process at once, as a crash would: no goodbye to its peers.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        await _logging.ConfigureAwait(false);
        _process.Dispose();
    }
}
