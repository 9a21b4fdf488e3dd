using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Msdn.Overlay.Security;

/// <summary>
/// Which peer relays are trusted: certificates whose SHA-256 fingerprint is pinned in configuration or
/// registered in the controller's relay directory, or that chain to the cluster CA. Either way the certificate must be within its validity period on the
/// injected clock. Used as the TLS remote-certificate callback on both sides of a relay link.
/// </summary>
internal sealed class PeerCertificatePolicy(IEnumerable<string> pinnedFingerprints, X509Certificate2? clusterCa, TimeProvider time, Func<string, bool>? registered = null)
{
    private readonly HashSet<string> _pinned = pinnedFingerprints.Select(f => f.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();

    /// <summary>A certificate was refused, with why (naming its subject and fingerprint): for the log, once per peer.</summary>
    public event Action<string>? Refused;

    /// <summary>Throws <see cref="PeerAuthenticationException"/> saying why the certificate is refused.</summary>
    public void Verify(X509Certificate? presented)
    {
        if (presented is null)
        {
            throw new PeerAuthenticationException("The peer presented no certificate.");
        }

        using var certificate = new X509Certificate2(presented);
        var now = time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            throw new PeerAuthenticationException($"The peer certificate {certificate.Subject} is outside its validity ({certificate.NotBefore:u} – {certificate.NotAfter:u}).");
        }

        var fingerprint = RelayCertificates.Fingerprint(certificate);
        if (_pinned.Contains(fingerprint) || registered?.Invoke(fingerprint) == true || ChainsToClusterCa(certificate, now))
        {
            return;
        }

        throw new PeerAuthenticationException($"The peer certificate {certificate.Subject} (SHA-256 {fingerprint}) is neither pinned, nor registered in the controller's directory, nor issued by the cluster CA.");
    }

    /// <summary>Whether a certificate is trusted now (a connection authenticated earlier is checked again when trust changes).</summary>
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
            Refused?.Invoke(e.Message);
            return false;
        }
    }

    private bool ChainsToClusterCa(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (clusterCa is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(clusterCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        return chain.Build(certificate);
    }
}
