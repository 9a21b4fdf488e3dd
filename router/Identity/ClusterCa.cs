using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Msdn.Router.Identity;

/// <summary>
/// The cluster CA: the key that signs every relay's certificate. Either the operator's
/// (<c>Router:ClusterCaFile</c>, a PEM file with the CA certificate and its private key, owner-only), which
/// every silo of a cluster must share, or one the controller creates at its first start in
/// <c>Router:DataDirectory</c> (mode 0600) and reuses after.
/// </summary>
public sealed class ClusterCa : IDisposable
{
    public const string FileName = "cluster-ca.pem";

    private ClusterCa(X509Certificate2 certificate)
    {
        Certificate = certificate;
        CertificatePem = certificate.ExportCertificatePem();
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificate alone (what relays trust), PEM.</summary>
    public string CertificatePem { get; }

    /// <summary>The CA in <paramref name="path"/> (a PEM certificate and key, as the silos' own certificate), or why it cannot be used (not owner-only, no key, not a CA).</summary>
    public static bool TryLoad(string path, out ClusterCa? ca, out string problem)
    {
        ca = null;
        if (!Hosting.ClusterTls.TryLoad(path, out var loaded, out problem))
        {
            return false;
        }

        var certificate = loaded!;
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            certificate.Dispose();
            problem = $"{path} holds a certificate that is not a CA (its basic constraints must say CA:TRUE)";
            return false;
        }

        ca = new ClusterCa(certificate);
        return true;
    }

    /// <summary>The CA kept in <paramref name="dataDirectory"/>, created there (ECDSA P-256, 10 years) if there is none yet.</summary>
    public static ClusterCa LoadOrCreate(string dataDirectory, TimeProvider time, out bool created)
    {
        ArgumentNullException.ThrowIfNull(time);
        var path = Path.Combine(dataDirectory, FileName);
        created = false;
        if (File.Exists(path))
        {
            return TryLoad(path, out var kept, out var problem) ? kept! : throw new InvalidOperationException(problem);
        }

        Directory.CreateDirectory(dataDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=MSDN cluster CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        Msdn.Tokens.SecretFile.Write(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        created = true;
        return TryLoad(path, out var made, out var madeProblem) ? made! : throw new InvalidOperationException(madeProblem);
    }

    public void Dispose() => Certificate.Dispose();
}
