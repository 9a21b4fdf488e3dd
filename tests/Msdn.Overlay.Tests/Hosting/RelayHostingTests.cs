using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Hosting;
using Msdn.Overlay.Security;
using Msdn.Tests.Common;

namespace Msdn.Overlay.Tests.Hosting;

/// <summary>The relay as its executable hosts it: command line, start-up validation, identity, route table persistence.</summary>
public sealed class RelayHostingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Starts_from_a_route_file_and_restarts_from_the_persisted_table()
    {
        var routesFile = Path.Combine(_dir, "routes-in.msgpack");
        var table = new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions())
            .Compute(TopologySnapshot.Create(["room-a", "room-b"], [new Link("room-a", "room-b", LinkQuality.FromRtt(12)), new Link("room-b", "room-a", LinkQuality.FromRtt(12))]));
        await File.WriteAllBytesAsync(routesFile, RouteTableCodec.Encode(table));
        var data = Path.Combine(_dir, "data");

        string fingerprint;
        using (var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", data, "--routes", routesFile))
        {
            await host.StartAsync();
            var relay = host.Services.GetRequiredService<RelayRuntime>();
            Assert.NotNull(relay.Node);
            Assert.Equal(table.Version, relay.Routes!.Current.Version);
            Assert.True(relay.Routes.Current.SameRoutesAs(table));
            Assert.True(File.Exists(Path.Combine(data, RouteTableStore.FileName)));
            Assert.True(File.Exists(Path.Combine(data, RelayCertificates.DevelopmentFileName)));
            fingerprint = relay.Fingerprint!;
            Assert.Equal(64, fingerprint.Length);
            await host.StopAsync();
        }

        // The controller is unreachable and no file is given: the last table is used (edge autonomy), same identity.
        using (var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", data))
        {
            await host.StartAsync();
            var relay = host.Services.GetRequiredService<RelayRuntime>();
            Assert.True(relay.Routes!.Current.SameRoutesAs(table));
            Assert.Equal(fingerprint, relay.Fingerprint);
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    public async Task A_corrupt_persisted_table_is_set_aside_and_the_relay_starts_without_it(int garbageBytes)
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        var persisted = Path.Combine(data, RouteTableStore.FileName);
        await File.WriteAllBytesAsync(persisted, [.. Enumerable.Range(0, garbageBytes).Select(i => (byte)(i * 37))]);
        using var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", data);
        await host.StartAsync();
        var relay = host.Services.GetRequiredService<RelayRuntime>();
        Assert.Equal(0, relay.Routes!.Current.Version);
        Assert.False(File.Exists(persisted));
        Assert.True(File.Exists(persisted + RouteTableStore.CorruptSuffix), "the unreadable table is kept for whoever investigates");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_corrupt_route_file_on_the_command_line_is_refused_naming_the_setting()
    {
        var routesFile = Path.Combine(_dir, "garbage.msgpack");
        await File.WriteAllBytesAsync(routesFile, [0xc1, 0x00, 0xff]);
        using var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir, "data"), "--routes", routesFile);
        var error = await Assert.ThrowsAsync<RelayStartException>(() => host.StartAsync());
        Assert.StartsWith("Relay:RouteTableFile", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Secrets_come_from_owner_only_files_and_the_data_directory_is_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var credential = Path.Combine(_dir, "room-a.credential");
        File.WriteAllText(credential, "not-secret-enough");
        File.SetUnixFileMode(credential, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        using (var refused = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir, "data"), "--controller", "http://127.0.0.1:1", "--credential-file", credential))
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => refused.StartAsync());
            Assert.Contains(error.Failures, f => f.StartsWith("Relay:ControllerCredentialFile", StringComparison.Ordinal) && f.Contains("chmod 600", StringComparison.Ordinal));
        }

        File.SetUnixFileMode(credential, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var data = Path.Combine(_dir, "data");
        using var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", data, "--controller", "http://127.0.0.1:1", "--credential-file", credential);
        await host.StartAsync();
        Assert.Equal("not-secret-enough", host.Services.GetRequiredService<IOptions<RelayOptions>>().Value.ControllerCredential);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        await host.StopAsync();
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_relay_whose_controller_refuses_connections_stops_cleanly_at_any_moment()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var credential = Path.Combine(_dir, "room-a.credential");
        File.WriteAllText(credential, "room-a-credential");
        File.SetUnixFileMode(credential, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Stopping while an exchange is failing (connection refused) must end the control loops, not
        // surface the exchange's error from StopAsync; the race is narrow, so stop at many moments.
        for (var i = 0; i < 25; i++)
        {
            using var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir, $"data-{i}"), "--controller", "http://127.0.0.1:1", "--credential-file", credential);
            await host.StartAsync();
            await Task.Yield();
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Bad_settings_stop_the_relay_naming_each_one()
    {
        using var host = Build(
            "--room", "room a",
            "--listen", "nowhere",
            "--controller", "ftp://controller",
            "--routes", Path.Combine(_dir, "missing.msgpack"),
            "--transport", "carrier-pigeon",
            "--Relay:Peers:room-b", "10.0.0.2");
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        foreach (var setting in new[] { "Relay:Room", "Relay:Listen", "Relay:Controller", "Relay:RouteTableFile", "Relay:Transport", "Relay:Peers:room-b" })
        {
            Assert.Contains(error.Failures, f => f.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_relay_port_that_leaves_no_room_for_its_probes_is_refused()
    {
        using var host = Build("--room", "room-a", "--listen", "127.0.0.1:65535", "--data-dir", Path.Combine(_dir, "data"));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.StartsWith("Relay:Listen", StringComparison.Ordinal) && f.Contains("port + 1", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Quic_without_libmsquic_is_refused_at_start_saying_what_to_install()
    {
        Skip.If(QuicSupport.IsAvailable, "QUIC is supported on this machine: the refusal only shows where libmsquic is missing.");
        using var host = Build("--room", "room-a", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir, "data"), "--transport", "quic");
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.StartsWith("Relay:Transport", StringComparison.Ordinal) && f.Contains("libmsquic", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_quic_relay_listens_on_udp_with_its_probes_on_the_next_port()
    {
        Skip.If(!QuicSupport.IsAvailable, QuicSupport.Missing);
        var port = Msdn.Sim.Drills.Loopback.LoopbackPorts.RelayPort();
        using var host = Build("--room", "room-a", "--listen", $"127.0.0.1:{port}", "--data-dir", Path.Combine(_dir, "data"), "--transport", "quic", $"--Probe:ClusterKey={Convert.ToBase64String(new byte[32])}");
        await host.StartAsync();
        var relay = host.Services.GetRequiredService<RelayRuntime>();
        Assert.Equal("quic", relay.Transport);
        Assert.Equal(port, ((System.Net.IPEndPoint)relay.Node!.LocalEndPoint).Port);
        Assert.Equal(port + 1, ((System.Net.IPEndPoint)relay.Probe!.LocalEndPoint).Port);
        await host.StopAsync();
    }

    private static IHost Build(params string[] args)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddCommandLine(args, RelayServiceCollectionExtensions.SwitchMappings.ToDictionary());
        builder.Services.AddRelay();
        return builder.Build();
    }
}
