using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Msdn.Overlay.Security;

/// <summary>
/// The relay's TLS identity. A relay without a configured certificate creates a self-signed development
/// one (ECDSA P-256, subject <c>CN=msdn-relay-&lt;room&gt;</c>) in its data directory at first start and
/// reuses it afterwards, so its fingerprint can be pinned by peers.
/// </summary>
public static class RelayCertificates
{
    public const string DevelopmentFileName = "relay-dev-cert.pfx";

    public static X509Certificate2 LoadOrCreateDevelopment(string dataDirectory, string room, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentNullException.ThrowIfNull(time);
        var path = Path.Combine(dataDirectory, DevelopmentFileName);
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
        }

        Directory.CreateDirectory(dataDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=msdn-relay-{room}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client auth: relays dial each other
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));
        var pfx = certificate.Export(X509ContentType.Pfx);
        WritePrivate(path, pfx);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    /// <summary>The SHA-256 fingerprint, upper-case hex: what peers pin.</summary>
    public static string Fingerprint(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> as trusted root at <paramref name="at"/> (revocation is the directory's, not a CRL's).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ca);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        return chain.Build(certificate);
    }

    private static void WritePrivate(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the private key: owner only
        }

        using var file = new FileStream(path, options);
        file.Write(content);
    }
}
