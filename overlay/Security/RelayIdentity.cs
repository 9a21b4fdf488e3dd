using System.Security.Cryptography.X509Certificates;

namespace Msdn.Overlay.Security;

/// <summary>
/// The certificate this relay presents now. Renewal replaces it while the relay runs: each new handshake
/// (both transports, both directions) presents the current one, and connections made before keep theirs,
/// so no flow is dropped. Replaced certificates stay alive until the identity is disposed (a live TLS
/// session may still refer to one); renewals are days apart, so that is a handful.
/// </summary>
public sealed class RelayIdentity : IDisposable
{
    private readonly Lock _replacing = new();
    private readonly List<X509Certificate2> _held = [];
    private volatile Current _current;

    public RelayIdentity(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        _current = new Current(certificate, RelayCertificates.Fingerprint(certificate));
    }

    /// <summary>Raised after <see cref="Replace"/>.</summary>
    public event Action? Changed;

    public X509Certificate2 Certificate => _current.Certificate;

    /// <summary>SHA-256 of <see cref="Certificate"/>, upper-case hex (what the relay registers with the controller).</summary>
    public string Fingerprint => _current.Fingerprint;

    /// <summary>Presents <paramref name="next"/> from the next handshake on; the identity owns it from now.</summary>
    public void Replace(X509Certificate2 next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_replacing)
        {
            _held.Add(next);
            _current = new Current(next, RelayCertificates.Fingerprint(next));
        }

        Changed?.Invoke();
    }

    /// <summary>Disposes the certificates it was handed through <see cref="Replace"/> (the first one stays its giver's).</summary>
    public void Dispose()
    {
        lock (_replacing)
        {
            foreach (var certificate in _held)
            {
                certificate.Dispose();
            }

            _held.Clear();
        }
    }

    private sealed record Current(X509Certificate2 Certificate, string Fingerprint);
}
