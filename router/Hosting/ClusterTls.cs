using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace Msdn.Router.Hosting;

/// <summary>
/// TLS 1.3 between the controller's silos (silo-to-silo and gateway connections): every silo presents the
/// cluster certificate (<c>Router:ClusterCertificateFile</c>, a PEM file with the certificate and its key,
/// readable by its owner only) and accepts a peer only if it presents the same certificate or one whose
/// SHA-256 fingerprint is in <c>Router:ClusterTrustedFingerprints</c> (for rotating the certificate without
/// stopping the cluster). Without the setting, silo traffic is plaintext: fine on one host, not across hosts.
/// </summary>
public static class ClusterTls
{
    /// <summary>The certificate with its private key from <paramref name="path"/>, or why it cannot be used.</summary>
    public static bool TryLoad(string path, out X509Certificate2? certificate, out string problem)
    {
        certificate = null;
        if (!Msdn.Tokens.SecretFile.TryRead(path, out var pem, out problem))
        {
            return false;
        }

        try
        {
            certificate = X509Certificate2.CreateFromPem(pem, pem);
        }
        catch (CryptographicException e)
        {
            problem = $"{path} does not hold a PEM certificate and its private key: {e.Message}";
            return false;
        }

        return true;
    }

    /// <summary>The certificate's SHA-256 fingerprint, hex, as <c>openssl x509 -fingerprint -sha256</c> prints it without colons.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, X509Certificate2 certificate, IEnumerable<string> trustedFingerprints)
    {
        var trusted = trustedFingerprints.Select(f => f.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant()).Append(Fingerprint(certificate)).ToHashSet(StringComparer.Ordinal);
        return silo.UseTls(certificate, options =>
        {
            options.SslProtocols = SslProtocols.Tls13;
            options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;

            // Pinned, not chained: the cluster's certificates are the operator's own (self-signed is fine), and
            // trust is the fingerprint list, so rotating is adding the next fingerprint, then swapping the file.
            options.RemoteCertificateValidation = (remote, _, _) => trusted.Contains(Fingerprint(remote));
            options.HandshakeTimeout = TimeSpan.FromSeconds(5);
        });
    }
}
