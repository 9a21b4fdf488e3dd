using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Control;

/// <summary>The controller through a peer relay: the same HTTP exchange, carried over the overlay to the peer, which sends it on.</summary>
internal sealed class PeerControlChannel(RelayNode node, RoomId peer, string credential) : IControlChannel
{
    public string Name => NameOf(peer);

    public static string NameOf(RoomId peer) => $"via {peer}";

    public async Task<ReportReply> ReportAsync(string room, RelayReportBody body, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Report(room, credential, body);
        var response = await node.TunnelAsync(peer, await ControlTunnel.ToTunnelAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadReport((System.Net.HttpStatusCode)response.Status, response.Body);
    }

    public async Task<RoutesAnswer> RoutesAsync(string room, long? since, TimeSpan wait, IReadOnlySet<Graph.Topology.RoomId>? destinations, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Routes(room, credential, since, wait, destinations);
        var response = await node.TunnelAsync(peer, await ControlTunnel.ToTunnelAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadRoutes((System.Net.HttpStatusCode)response.Status, response.Headers.GetValueOrDefault("X-Msdn-Table"), response.Body);
    }

    public async Task<DirectoryAnswerBody> DirectoryAsync(string room, long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Directory(room, credential, since, wait);
        var response = await node.TunnelAsync(peer, await ControlTunnel.ToTunnelAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadDirectory((System.Net.HttpStatusCode)response.Status, since, response.Body);
    }

    public async Task<CertificateAnswer> CertificateAsync(string room, string requestPem, string presentedFingerprint, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Certificate(room, credential, requestPem, presentedFingerprint);
        var response = await node.TunnelAsync(peer, await ControlTunnel.ToTunnelAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadCertificate((System.Net.HttpStatusCode)response.Status, response.Body);
    }
}
