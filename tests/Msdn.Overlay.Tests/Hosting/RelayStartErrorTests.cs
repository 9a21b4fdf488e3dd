using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Msdn.Overlay.Hosting;

namespace Msdn.Overlay.Tests.Hosting;

/// <summary>The relay executable refusing to start: one line on stderr naming the setting and the value, exit code 2, no stack trace.</summary>
public sealed class RelayStartErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-start-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("--listen 7500", "Relay:Listen")]
    [InlineData("--forward 9000=room-e/sink", "Relay:Forward")]
    [InlineData("--controller http://127.0.0.1:1", "Relay:ControllerCredential")]
    [InlineData("--cluster-ca-file /nonexistent/ca.pem", "Relay:ClusterCaFile")]
    [InlineData("--Relay:OrphanFlowTimeout 00:00:10", "Relay:OrphanFlowTimeout")]
    [InlineData("--Relay:EgressHoldBytes 100", "Relay:EgressHoldBytes")]
    [InlineData("--Relay:Capacity:Flows 0", "Relay:Capacity")]
    [InlineData("--Relay:Capacity:Cpu -1", "Relay:Capacity")]
    public async Task A_bad_setting_is_one_line_naming_it(string arguments, string setting)
    {
        var (exit, errors) = await RunAsync(arguments.Split(' '));
        Assert.Equal(2, exit);
        var line = Assert.Single(errors);
        Assert.Contains(setting, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_in_use_is_one_line_naming_the_setting_and_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = taken.LocalEndpoint.ToString()!;

        var (listenExit, listenErrors) = await RunAsync(["--listen", address]);
        var (adminExit, adminErrors) = await RunAsync(["--listen", "127.0.0.1:0", "--admin", address]);

        Assert.Equal(2, listenExit);
        Assert.Contains($"Relay:Listen (--listen) {address}", Assert.Single(listenErrors), StringComparison.Ordinal);
        Assert.Equal(2, adminExit);
        Assert.Contains("Relay:Admin (--admin)", Assert.Single(adminErrors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_prints_the_usage_and_starts_nothing()
    {
        var process = Start(["--help"]);
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("--advertise", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Print_fingerprint_gives_the_certificate_the_relay_will_present_before_it_ever_starts()
    {
        async Task<string> PrintAsync()
        {
            var process = Start(["--print-fingerprint", "--room", "room-a", "--data-dir", _dir]);
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            return output.Trim();
        }

        var first = await PrintAsync();
        Assert.Matches("^[0-9A-F]{64}$", first);
        Assert.Equal(first, await PrintAsync());
        using var certificate = Msdn.Overlay.Security.RelayCertificates.LoadOrCreateDevelopment(_dir, "room-a", TimeProvider.System);
        Assert.Equal(Msdn.Overlay.Security.RelayCertificates.Fingerprint(certificate), first);
    }

    private async Task<(int Exit, string[] Errors)> RunAsync(string[] arguments)
    {
        var process = Start(["--room", "room-a", "--data-dir", _dir, "--admin", "127.0.0.1:0", .. arguments]);
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, (await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>The relay executable as an operator runs it (the test host is the dotnet host).</summary>
    private static Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(RelayHost).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
