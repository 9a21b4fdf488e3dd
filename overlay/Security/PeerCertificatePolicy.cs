using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Msdn.Tokens;

namespace Msdn.Overlay.Security;

/// <summary>
/// Which peer relays are trusted: certificates whose SHA-256 fingerprint is pinned in configuration or
/// registered in the controller's relay directory, or that the cluster CA issued to a room the directory
/// still lists (removing a room revokes its certificates). At a handshake the certificate must also be
/// within its validity on the injected clock. Used as the TLS remote-certificate callback on both sides of
/// a relay link.
/// </summary>
/// <param name="liveRoom">Whether a room is in the directory now; null: any room the CA named (a CA configured without a controller).</param>
/// <param name="registeredFor">Whether the directory registers a fingerprint for a room (one of its relays'): binds a dialled room to its certificates.</param>
internal sealed class PeerCertificatePolicy(IEnumerable<string> pinnedFingerprints, X509Certificate2? clusterCa, TimeProvider time, Func<string, bool>? registered = null, Func<string, bool>? liveRoom = null, Func<string, string, bool>? registeredFor = null)
{
    private readonly HashSet<string> _pinned = pinnedFingerprints.Select(f => f.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
    private volatile X509Certificate2? _clusterCa = clusterCa;

    /// <summary>A certificate was refused, with why (naming its subject and fingerprint): for the log, once per peer, and the refusal counter.</summary>
    public event Action<PeerAuthenticationException>? Refused;

    /// <summary>The cluster CA trusted now (learned from the controller, or configured); null: none.</summary>
    public X509Certificate2? ClusterCa => _clusterCa;

    /// <summary>Trusts the cluster CA from now on (the relay learned it with its first certificate).</summary>
    public void TrustClusterCa(X509Certificate2 ca) => _clusterCa = ca ?? throw new ArgumentNullException(nameof(ca));

    /// <summary>Throws <see cref="PeerAuthenticationException"/> saying why the certificate is refused at a handshake now.</summary>
    public void Verify(X509Certificate? presented)
    {
        if (presented is null)
        {
            throw new PeerAuthenticationException("The peer presented no certificate.", PeerRefusal.Missing);
        }

        using var certificate = new X509Certificate2(presented);
        var now = time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            throw new PeerAuthenticationException($"The peer certificate {certificate.Subject} is outside its validity ({certificate.NotBefore:u} – {certificate.NotAfter:u}).", PeerRefusal.Expired);
        }

        VerifyIdentity(certificate, now);
    }

    /// <summary>
    /// Whether a connection authenticated earlier may go on now that trust changed: its peer is still pinned,
    /// registered or a listed room with a CA certificate. Expiry is a handshake's question, not this one's: a
    /// connection outlives the certificate it began with (renewal never cuts a flow), and the next handshake
    /// needs the renewed one.
    /// </summary>
    public bool StillTrusts(X509Certificate? presented)
    {
        if (presented is null)
        {
            return false;
        }

        using var certificate = new X509Certificate2(presented);
        var now = time.GetUtcNow();
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        try
        {
            VerifyIdentity(certificate, now < notAfter ? now : notAfter.AddSeconds(-1));
            return true;
        }
        catch (PeerAuthenticationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Why the (trusted) certificate met when dialling <paramref name="room"/> is not that room's relay, or null
    /// when it is: pinned (pins name no room), a fingerprint the directory registers for that room, or the
    /// cluster CA's certificate for that room. Another trusted relay answering at the room's address is refused.
    /// </summary>
    public string? NotRoomOf(string room, X509Certificate? presented)
    {
        if (presented is null)
        {
            return null; // a transport without certificates (tests' in-process pipes)
        }

        using var certificate = new X509Certificate2(presented);
        var fingerprint = RelayCertificates.Fingerprint(certificate);
        if (_pinned.Contains(fingerprint) || registeredFor?.Invoke(room, fingerprint) == true)
        {
            return null;
        }

        var named = RelayCertificateNames.RoomOf(certificate);
        if (named == room && ChainsToClusterCa(certificate, time.GetUtcNow()))
        {
            return null;
        }

        return registeredFor is null && named is null
            ? null // no directory, no room in the name: nothing to bind to
            : $"the relay at room {room}'s address presented {certificate.Subject} (SHA-256 {fingerprint}), which is not room {room}'s certificate";
    }

    /// <summary>Whether a certificate would be accepted at a handshake now.</summary>
    public bool Trusts(X509Certificate? presented)
    {
        try
        {
            Verify(presented);
            return true;
        }
        catch (PeerAuthenticationException)
        {
            return false;
        }
    }

    /// <summary>For <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> and the server's equivalent.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        try
        {
            Verify(certificate);
            return true;
        }
        catch (PeerAuthenticationException e)
        {
            Refused?.Invoke(e);
            return false;
        }
    }

    private void VerifyIdentity(X509Certificate2 certificate, DateTimeOffset at)
    {
        var fingerprint = RelayCertificates.Fingerprint(certificate);
        if (_pinned.Contains(fingerprint) || registered?.Invoke(fingerprint) == true)
        {
            return;
        }

        if (ChainsToClusterCa(certificate, at))
        {
            var room = RelayCertificateNames.RoomOf(certificate);
            if (liveRoom is null || (room is not null && liveRoom(room)))
            {
                return;
            }

            throw new PeerAuthenticationException($"The peer certificate {certificate.Subject} (SHA-256 {fingerprint}) was issued by the cluster CA, but {(room is null ? "names no room" : $"room {room} is not in the controller's directory (removed, or not joined yet)")}.", PeerRefusal.Revoked);
        }

        throw new PeerAuthenticationException($"The peer certificate {certificate.Subject} (SHA-256 {fingerprint}) is neither pinned, nor registered in the controller's directory, nor issued by the cluster CA.");
    }

    private bool ChainsToClusterCa(X509Certificate2 certificate, DateTimeOffset at) =>
        _clusterCa is { } ca && RelayCertificates.ChainsTo(certificate, ca, at);
}
