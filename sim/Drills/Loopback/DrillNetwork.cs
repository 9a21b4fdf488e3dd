using System.Net;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// Where a real-process drill's hosts live: all on this machine's 127.0.0.1 (<c>loopback</c>), or each in its
/// own network namespace with its own address on a bridge (<c>netns</c>, <see cref="NamespaceNetwork"/>), so
/// that no code path can lean on 127.0.0.1 and the processes meet as they would across hosts.
/// </summary>
public abstract class DrillNetwork : IAsyncDisposable
{
    /// <summary>The address the drill's own listeners (the controller proxy) bind: every host reaches it.</summary>
    public abstract IPAddress Harness { get; }

    /// <summary>
    /// Whether each host has its ports to itself (its own namespace), so fixed ports are safe; on loopback all
    /// hosts share one port space, and a process must bind port 0.
    /// </summary>
    public abstract bool PortsArePrivate { get; }

    public static async Task<DrillNetwork> CreateAsync(string kind, int hosts) => kind switch
    {
        "netns" => await NamespaceNetwork.CreateAsync(hosts).ConfigureAwait(false),
        _ => new LoopbackNetwork(),
    };

    /// <summary>Host <paramref name="index"/>'s address (0: the controller's; then one per relay).</summary>
    public abstract IPAddress HostAddress(int index);

    /// <summary>The network namespace host <paramref name="index"/> runs in, or null for this one.</summary>
    public abstract string? NamespaceOf(int index);

    public abstract ValueTask DisposeAsync();

    private sealed class LoopbackNetwork : DrillNetwork
    {
        public override IPAddress Harness => IPAddress.Loopback;

        public override bool PortsArePrivate => false;

        public override IPAddress HostAddress(int index) => IPAddress.Loopback;

        public override string? NamespaceOf(int index) => null;

        public override ValueTask DisposeAsync()
        {
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }
    }
}
