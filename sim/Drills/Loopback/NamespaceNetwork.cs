using System.Diagnostics;
using System.Net;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// One Linux network namespace per host, each with a veth pair into a bridge in this namespace: host i has
/// 10.213.S.(10 + i)/24 (S from this process's id, so two drills on one machine use two subnets), the drill
/// harness the bridge's .1. Needs root and iproute2 (<c>ip netns</c>); everything is removed on dispose.
/// </summary>
public sealed class NamespaceNetwork : DrillNetwork
{
    private readonly string _bridge;
    private readonly List<string> _namespaces = [];
    private readonly int _subnet;

    private NamespaceNetwork(int id)
    {
        _subnet = id % 250;
        _bridge = $"msdnbr{id}";
        Id = id;
    }

    private int Id { get; }

    public override IPAddress Harness => IPAddress.Parse($"10.213.{_subnet}.1");

    public override bool PortsArePrivate => true;

    /// <summary>Why this machine cannot run namespaced drills (not Linux, not root, no <c>ip</c>), or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces are Linux's";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "creating network namespaces needs root";
        }

        return Environment.GetEnvironmentVariable("PATH")?.Split(':').Any(d => File.Exists(Path.Combine(d, "ip"))) == true
            ? null
            : "iproute2's ip is not on the PATH";
    }

    public static async Task<NamespaceNetwork> CreateAsync(int hosts)
    {
        if (Unavailable() is { } why)
        {
            throw new InvalidOperationException($"The netns network cannot run here: {why}.");
        }

        var network = new NamespaceNetwork(Environment.ProcessId);
        try
        {
            await network.BuildAsync(hosts).ConfigureAwait(false);
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return network;
    }

    public override IPAddress HostAddress(int index) => IPAddress.Parse($"10.213.{_subnet}.{10 + index}");

    public override string? NamespaceOf(int index) => $"msdn{Id}h{index}";

    public override async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _namespaces.Count; i++)
        {
            // The pair goes with either end; removing ours now does not wait for the kernel to free the namespace.
            await IpAsync(false, "link", "del", Outside(i)).ConfigureAwait(false);
            await IpAsync(false, "netns", "del", _namespaces[i]).ConfigureAwait(false);
        }

        await IpAsync(false, "link", "del", _bridge).ConfigureAwait(false);
    }

    private async Task BuildAsync(int hosts)
    {
        await IpAsync(true, "link", "add", _bridge, "type", "bridge").ConfigureAwait(false);
        await IpAsync(true, "addr", "add", $"{Harness}/24", "dev", _bridge).ConfigureAwait(false);
        await IpAsync(true, "link", "set", _bridge, "up").ConfigureAwait(false);
        for (var i = 0; i < hosts; i++)
        {
            var name = NamespaceOf(i)!;
            string outside = Outside(i), inside = $"msdn{Id}i{i}";
            await IpAsync(true, "netns", "add", name).ConfigureAwait(false);
            _namespaces.Add(name);
            await IpAsync(true, "link", "add", outside, "type", "veth", "peer", "name", inside).ConfigureAwait(false);
            await IpAsync(true, "link", "set", inside, "netns", name).ConfigureAwait(false);
            await IpAsync(true, "link", "set", outside, "master", _bridge, "up").ConfigureAwait(false);
            await IpAsync(true, "-n", name, "addr", "add", $"{HostAddress(i)}/24", "dev", inside).ConfigureAwait(false);
            await IpAsync(true, "-n", name, "link", "set", inside, "up").ConfigureAwait(false);
            await IpAsync(true, "-n", name, "link", "set", "lo", "up").ConfigureAwait(false);
        }
    }

    /// <summary>Host <paramref name="index"/>'s end of its veth pair, on the bridge (interface names are at most 15 characters).</summary>
    private string Outside(int index) => $"msdn{Id}o{index}";

    private static async Task IpAsync(bool required, params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run ip");
        var errors = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (required && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {errors.Trim()}");
        }
    }
}
