using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Msdn.Overlay.Security;

namespace Msdn.Overlay.Tests.Security;

/// <summary>A relay presents the controller's answer only if it is for its own key and room, from the CA it trusts; it renews at two thirds of a certificate's life.</summary>
public sealed class CertificateRenewalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-renewal-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _selfSigned;
    private readonly RelayIdentity _identity;
    private X509Certificate2? _trusted;

    public CertificateRenewalTests()
    {
        _ca = Ca(_caKey, "CN=cluster CA");
        _selfSigned = RelayCertificates.LoadOrCreateDevelopment(_dir, "room-a", _clock);
        _identity = new RelayIdentity(_selfSigned);
    }

    public void Dispose()
    {
        _identity.Dispose();
        _selfSigned.Dispose();
        _ca.Dispose();
        _caKey.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void The_answer_for_its_key_and_room_is_kept_presented_and_renewed_at_two_thirds_of_its_life()
    {
        var renewal = Renewal();
        Assert.Equal(_clock.GetUtcNow(), renewal.DueAt()); // a self-signed certificate: ask at once
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        renewal.Accept(Sign(renewal.Request(key), "CN=msdn-relay-room-a", TimeSpan.FromHours(9)), key);

        Assert.Equal("room-a", Msdn.Tokens.RelayCertificateNames.RoomOf(_identity.Certificate));
        Assert.True(_identity.Certificate.HasPrivateKey);
        Assert.Equal(_ca.RawData, _trusted!.RawData);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromHours(6), renewal.DueAt());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, CertificateRenewal.IssuedFileName)));
        }

        var kept = CertificateRenewal.LoadKept(_dir, null, _clock); // what a restarted relay presents
        Assert.NotNull(kept);
        Assert.Equal(_identity.Fingerprint, RelayCertificates.Fingerprint(kept.Value.Certificate));
        kept.Value.Certificate.Dispose();
        kept.Value.Ca.Dispose();
    }

    [Fact]
    public void Answers_for_another_key_another_room_or_from_another_CA_are_not_presented()
    {
        var renewal = Renewal();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var before = _identity.Fingerprint;

        Assert.Contains("not for the key", Assert.Throws<PeerAuthenticationException>(() => renewal.Accept(Sign(renewal.Request(otherKey), "CN=msdn-relay-room-a", TimeSpan.FromHours(9)), key)).Message, StringComparison.Ordinal);
        Assert.Contains("not this relay's room", Assert.Throws<PeerAuthenticationException>(() => renewal.Accept(Sign(renewal.Request(key), "CN=msdn-relay-room-b", TimeSpan.FromHours(9)), key)).Message, StringComparison.Ordinal);
        Assert.Throws<PeerAuthenticationException>(() => renewal.Accept("not pem", key));

        renewal.Accept(Sign(renewal.Request(key), "CN=msdn-relay-room-a", TimeSpan.FromHours(9)), key); // now the relay trusts this CA
        using var strangerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = Ca(strangerKey, "CN=stranger CA");
        var fromStranger = Sign(renewal.Request(key), "CN=msdn-relay-room-a", TimeSpan.FromHours(9), stranger);
        Assert.Contains("not the cluster CA this relay trusts", Assert.Throws<PeerAuthenticationException>(() => renewal.Accept(fromStranger, key)).Message, StringComparison.Ordinal);
        Assert.NotEqual(before, _identity.Fingerprint);
    }

    private CertificateRenewal Renewal() => new(_identity, "room-a", _dir, () => _trusted, ca => _trusted = ca, _clock);

    private X509Certificate2 Ca(ECDsa key, string subject)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(_clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddYears(1));
    }

    /// <summary>What a controller answers: the certificate for the request's key under <paramref name="subject"/>, then the CA.</summary>
    private string Sign(string requestPem, string subject, TimeSpan lifetime, X509Certificate2? ca = null)
    {
        ca ??= _ca;
        var request = CertificateRequest.LoadSigningRequestPem(requestPem, HashAlgorithmName.SHA256);
        var issued = new CertificateRequest(new X500DistinguishedName(subject), request.PublicKey, HashAlgorithmName.SHA256);
        using var leaf = issued.Create(ca, _clock.GetUtcNow(), _clock.GetUtcNow() + lifetime, [9, 9, 9]);
        return leaf.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n";
    }
}
