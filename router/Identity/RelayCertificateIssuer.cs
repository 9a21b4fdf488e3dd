using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Msdn.Tokens;

namespace Msdn.Router.Identity;

/// <summary>
/// Signs a relay's certificate signing request (PKCS#10, PEM) with the cluster CA. The controller, not the
/// request, decides what the certificate says: its subject names the room whose credential the request came
/// with, it serves as both TLS server and client (relays dial each other), and it lives
/// <c>Router:RelayCertificateLifetime</c>. A request signed with another key than the one it carries, with a
/// weak key, or whose subject names another room is refused with a <see cref="CertificateRequestException"/>.
/// </summary>
public sealed class RelayCertificateIssuer(ClusterCa ca, TimeProvider time, TimeSpan lifetime)
{
    /// <summary>A request larger than this is not a CSR (a P-256 request is ~400 bytes, RSA-4096 ~1.7 KB).</summary>
    public const int MaxRequestBytes = 16 * 1024;

    /// <summary>The CA certificate relays trust, PEM.</summary>
    public string CaPem => ca.CertificatePem;

    public IssuedCertificate Issue(string room, string requestPem)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentNullException.ThrowIfNull(requestPem);
        CertificateRequest request;
        try
        {
            // Loading checks the request's signature: whoever sent it holds the key it names.
            request = CertificateRequest.LoadSigningRequestPem(requestPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CertificateRequestException($"The body is not a signed PKCS#10 certificate request (PEM): {e.Message}");
        }

        var subject = request.SubjectName.Name;
        var expected = RelayCertificateNames.SubjectOf(room);
        if (subject.Length > 0 && !string.Equals(subject, expected, StringComparison.Ordinal))
        {
            throw new CertificateRequestException($"The request names '{subject}', but its credential is room {room}'s: a relay may ask only for '{expected}' (or leave the subject empty).");
        }

        CheckKey(request.PublicKey);
        var issued = new CertificateRequest(new X500DistinguishedName(expected), request.PublicKey, HashAlgorithmName.SHA256);
        issued.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        issued.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        issued.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        issued.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(issued.PublicKey, false));
        issued.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        // Valid from a little earlier, for clocks a little behind ours (a tenth of the lifetime, at most five
        // minutes, so a relay renewing at two thirds of the whole span still renews well after issue); never
        // past the CA's own end.
        var now = time.GetUtcNow();
        var backdate = lifetime / 10 < TimeSpan.FromMinutes(5) ? lifetime / 10 : TimeSpan.FromMinutes(5);
        var notAfter = now + lifetime < ca.Certificate.NotAfter ? now + lifetime : new DateTimeOffset(ca.Certificate.NotAfter.ToUniversalTime());
        using var certificate = issued.Create(ca.Certificate, now - backdate, notAfter, RandomNumberGenerator.GetBytes(16));
        return new IssuedCertificate(
            certificate.ExportCertificatePem() + "\n" + ca.CertificatePem + "\n",
            certificate.GetCertHashString(HashAlgorithmName.SHA256),
            notAfter);
    }

    private static void CheckKey(PublicKey key)
    {
        using var ec = key.GetECDsaPublicKey();
        if (ec is not null)
        {
            if (ec.KeySize < 256)
            {
                throw new CertificateRequestException($"An ECDSA key of {ec.KeySize} bits is too weak: use P-256 or larger.");
            }

            return;
        }

        using var rsa = key.GetRSAPublicKey();
        if (rsa is null)
        {
            throw new CertificateRequestException($"Keys of algorithm {key.Oid.FriendlyName ?? key.Oid.Value} are not signed: use ECDSA P-256 (or RSA of 2048 bits or more).");
        }

        if (rsa.KeySize < 2048)
        {
            throw new CertificateRequestException($"An RSA key of {rsa.KeySize} bits is too weak: use 2048 bits or more (or ECDSA P-256).");
        }
    }
}

/// <summary>A signed relay certificate: the chain (leaf, then the CA) as PEM, the leaf's SHA-256 fingerprint, and its end.</summary>
[Orleans.GenerateSerializer, Orleans.Immutable, Orleans.Alias("msdn.IssuedCertificate")]
public sealed record IssuedCertificate([property: Orleans.Id(0)] string ChainPem, [property: Orleans.Id(1)] string Fingerprint, [property: Orleans.Id(2)] DateTimeOffset NotAfter);
