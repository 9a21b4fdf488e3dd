namespace Msdn.Overlay.Control;

/// <summary>The controller over HTTP from this relay, each kind of exchange on its own connections.</summary>
internal sealed class DirectControlChannel(ControlConnections http, string credential) : IControlChannel
{
    public string Name => ControllerStatus.Direct;

    public async Task<ReportReply> ReportAsync(string room, RelayReportBody body, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Report(room, credential, body);
        using var response = await http.For(ControlKind.Reports).SendAsync(request, cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadReport(response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<RoutesAnswer> RoutesAsync(string room, long? since, TimeSpan wait, IReadOnlySet<Graph.Topology.RoomId>? destinations, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Routes(room, credential, since, wait, destinations);
        using var response = await http.For(ControlKind.Routes).SendAsync(request, cancellationToken).ConfigureAwait(false);
        var kind = response.Headers.TryGetValues("X-Msdn-Table", out var values) ? values.FirstOrDefault() : null;
        return ControlExchange.ReadRoutes(response.StatusCode, kind, await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<DirectoryAnswerBody> DirectoryAsync(string room, long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Directory(room, credential, since, wait);
        using var response = await http.For(ControlKind.Directory).SendAsync(request, cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadDirectory(response.StatusCode, since, await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<CertificateAnswer> CertificateAsync(string room, string requestPem, string presentedFingerprint, CancellationToken cancellationToken)
    {
        using var request = ControlExchange.Certificate(room, credential, requestPem, presentedFingerprint);
        using var response = await http.For(ControlKind.Certificate).SendAsync(request, cancellationToken).ConfigureAwait(false);
        return ControlExchange.ReadCertificate(response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
    }
}
