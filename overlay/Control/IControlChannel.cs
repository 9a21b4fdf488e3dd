namespace Msdn.Overlay.Control;

/// <summary>One way to the controller: directly over HTTP, or through a peer relay's control tunnel.</summary>
public interface IControlChannel
{
    /// <summary>"direct", or "via room-x".</summary>
    string Name { get; }

    Task<ReportReply> ReportAsync(string room, RelayReportBody body, CancellationToken cancellationToken);

    Task<RoutesAnswer> RoutesAsync(string room, long? since, TimeSpan wait, IReadOnlySet<Graph.Topology.RoomId>? destinations, CancellationToken cancellationToken);

    Task<DirectoryAnswerBody> DirectoryAsync(string room, long? since, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Asks the controller's cluster CA to sign <paramref name="requestPem"/>; <paramref name="presentedFingerprint"/> is the certificate held now.</summary>
    Task<CertificateAnswer> CertificateAsync(string room, string requestPem, string presentedFingerprint, CancellationToken cancellationToken);
}

/// <summary>The signed chain (leaf, then CA, PEM), or none because the controller signs no certificates (clustered without a CA).</summary>
public sealed record CertificateAnswer(string? ChainPem);

public enum RoutesAnswerKind
{
    Full,
    Diff,
    NotModified,

    /// <summary>The controller's version line is behind ours (it restarted without its state): fetch whole.</summary>
    Restarted,
}

public readonly record struct RoutesAnswer(RoutesAnswerKind Kind, byte[] Body);

/// <summary>The controller answered with a server error, or a tunnel could not carry the exchange.</summary>
internal sealed class ControlChannelException(string message) : IOException(message);
