using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Msdn.Tokens;

namespace Msdn.Overlay.Security;

/// <summary>
/// This relay's side of identity from the centre: when to ask the controller's cluster CA for a certificate
/// (at once while the relay holds none the CA issued, then at two thirds of each one's life), the request
/// to send (a fresh ECDSA P-256 key each time, subject naming the room), and what to check before
/// presenting the answer: it is for this key and this room, and it chains to the CA the answer carries,
/// which must be the one configured (<c>Relay:ClusterCaFile</c>) or already trusted. The issued certificate
/// and the CA are kept in the data directory, so a restarted relay presents its certificate without asking.
/// </summary>
public sealed class CertificateRenewal(RelayIdentity identity, string room, string dataDirectory, Func<X509Certificate2?> trustedCa, Action<X509Certificate2> trustCa, TimeProvider time)
{
    public const string IssuedFileName = "relay-cert.pfx";
    public const string CaFileName = "cluster-ca.pem";

    /// <summary>The certificate held now (sent with a request, so renewing is not taken for a second relay claiming the room).</summary>
    public string Fingerprint => identity.Fingerprint;

    /// <summary>When the next request is due: now while the certificate held is not the CA's, else at two thirds of its life.</summary>
    public DateTimeOffset DueAt()
    {
        var held = identity.Certificate;
        if (trustedCa() is not { } ca || !IssuedBy(held, ca))
        {
            return time.GetUtcNow();
        }

        var notBefore = new DateTimeOffset(held.NotBefore.ToUniversalTime());
        return notBefore + ((new DateTimeOffset(held.NotAfter.ToUniversalTime()) - notBefore) * 2 / 3);
    }

    /// <summary>A PKCS#10 request (PEM) for <paramref name="key"/>, naming this relay's room.</summary>
    public string Request(ECDsa key)
    {
        var request = new CertificateRequest(RelayCertificateNames.SubjectOf(room), key, HashAlgorithmName.SHA256);
        return request.CreateSigningRequestPem();
    }

    /// <summary>
    /// Checks the controller's answer (the leaf, then the CA, PEM) against the key it was asked for, keeps it on
    /// disk and presents it from the next handshake on. Throws <see cref="PeerAuthenticationException"/> saying
    /// why an answer is not used.
    /// </summary>
    public void Accept(string chainPem, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(chainPem);
        ArgumentNullException.ThrowIfNull(key);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(chainPem);
        }
        catch (CryptographicException e)
        {
            throw new PeerAuthenticationException($"The controller's certificate answer is not PEM certificates: {e.Message}");
        }

        if (chain.Count < 2)
        {
            DisposeAll(chain);
            throw new PeerAuthenticationException($"The controller's certificate answer holds {chain.Count} certificate(s), not the relay's and the CA's.");
        }

        using var leaf = chain[0];
        var ca = chain[1];
        for (var i = 2; i < chain.Count; i++)
        {
            chain[i].Dispose();
        }

        try
        {
            if (trustedCa() is { } trusted && !trusted.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span))
            {
                throw new PeerAuthenticationException($"The controller's certificate was signed by CA {ca.Subject} (SHA-256 {RelayCertificates.Fingerprint(ca)}), not the cluster CA this relay trusts (SHA-256 {RelayCertificates.Fingerprint(trusted)}).");
            }

            if (!IssuedBy(leaf, ca))
            {
                throw new PeerAuthenticationException($"The controller's certificate {leaf.Subject} does not chain to the CA it came with ({ca.Subject}).");
            }

            if (RelayCertificateNames.RoomOf(leaf) != room)
            {
                throw new PeerAuthenticationException($"The controller's certificate names {leaf.Subject}, not this relay's room {room}.");
            }

            using var leafKey = leaf.GetECDsaPublicKey();
            if (leafKey is null || !leafKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new PeerAuthenticationException("The controller's certificate is not for the key this relay asked with.");
            }
        }
        catch
        {
            ca.Dispose();
            throw;
        }

        // Through PKCS#12 so the key is usable by TLS on every platform, and kept owner-only.
        using var withKey = leaf.CopyWithPrivateKey(key);
        var pfx = withKey.Export(X509ContentType.Pfx);
        Hosting.DurableFile.Replace(Path.Combine(dataDirectory, IssuedFileName), pfx, ownerOnly: true);
        Hosting.DurableFile.Replace(Path.Combine(dataDirectory, CaFileName), System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem()));
        trustCa(ca);
        identity.Replace(X509CertificateLoader.LoadPkcs12(pfx, password: null));
    }

    /// <summary>
    /// The certificate and CA kept from the last run, if the certificate is still valid and (when a CA is
    /// configured) issued by it; null otherwise, and the relay asks again.
    /// </summary>
    public static (X509Certificate2 Certificate, X509Certificate2 Ca)? LoadKept(string dataDirectory, X509Certificate2? configuredCa, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var certificatePath = Path.Combine(dataDirectory, IssuedFileName);
        var caPath = Path.Combine(dataDirectory, CaFileName);
        if (!File.Exists(certificatePath) || !File.Exists(caPath))
        {
            return null;
        }

        X509Certificate2? certificate = null;
        X509Certificate2? ca = null;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password: null);
            ca = configuredCa is not null ? X509CertificateLoader.LoadCertificate(configuredCa.RawData) : X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            var now = time.GetUtcNow();
            if (now < certificate.NotAfter.ToUniversalTime() && certificate.HasPrivateKey && IssuedBy(certificate, ca))
            {
                return (certificate, ca);
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException)
        {
            // Unreadable: the relay asks for a new one.
        }

        certificate?.Dispose();
        ca?.Dispose();
        return null;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> (at a moment inside its validity: renewal, not expiry, is the question here).</summary>
    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca) =>
        RelayCertificates.ChainsTo(certificate, ca, new DateTimeOffset(certificate.NotBefore.ToUniversalTime()).AddSeconds(1));

    private static void DisposeAll(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
