using Microsoft.Extensions.Options;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The probe agent's settings default to the relay's own: its room, and its peers (their probes listen on
/// the peer relay's port + 1) unless the <c>Probe</c> section lists its own; its cluster key comes from
/// <c>Relay:ProbeClusterKeyFile</c> when that names a file.
/// </summary>
internal sealed class RelayProbeDefaults(IOptions<RelayOptions> relay) : IPostConfigureOptions<ProbeAgentOptions>
{
    public void PostConfigure(string? name, ProbeAgentOptions options)
    {
        var settings = relay.Value;
        if (Msdn.Tokens.SecretFile.ReadIfNamed(settings.ProbeClusterKeyFile) is { } clusterKey)
        {
            options.ClusterKey = clusterKey;
        }

        if (string.IsNullOrEmpty(options.Room))
        {
            options.Room = settings.Room;
        }

        if (options.Peers.Count == 0)
        {
            options.Peers = [.. settings.Peers.Select(p => new ProbePeerOptions { Room = p.Key, Endpoint = p.Value })];
        }
    }
}
