using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Msdn.Router.Identity;
using Msdn.Tokens;

namespace Msdn.Router.Tests.Identity;

/// <summary>The cluster CA signs what a room's relay may have, and refuses every other request saying why.</summary>
public sealed class RelayCertificateIssuerTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-ca-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private readonly ClusterCa _ca;
    private readonly RelayCertificateIssuer _issuer;

    public RelayCertificateIssuerTests()
    {
        _ca = ClusterCa.LoadOrCreate(_dir, _clock, out _);
        _issuer = new RelayCertificateIssuer(_ca, _clock, Lifetime);
    }

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void The_CA_is_created_once_owner_only_and_reused()
    {
        using var again = ClusterCa.LoadOrCreate(_dir, _clock, out var created);
        Assert.False(created);
        Assert.Equal(_ca.Certificate.Thumbprint, again.Certificate.Thumbprint);
        Assert.True(again.Certificate.HasPrivateKey);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, ClusterCa.FileName)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("CN=msdn-relay-room-a")]
    public void A_request_from_a_room_s_relay_gets_a_certificate_naming_that_room_chained_to_the_CA(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = _issuer.Issue("room-a", Csr(subject, key));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(issued.ChainPem);
        using var leaf = chain[0];
        using var ca = chain[1];
        Assert.Equal(_ca.Certificate.RawData, ca.RawData);
        Assert.Equal("room-a", RelayCertificateNames.RoomOf(leaf));
        Assert.Equal(issued.Fingerprint, leaf.GetCertHashString(HashAlgorithmName.SHA256));
        Assert.Equal(_clock.GetUtcNow() + Lifetime, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
        Assert.True(leaf.NotBefore.ToUniversalTime() < _clock.GetUtcNow().UtcDateTime);
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var usages = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
        Assert.Contains("1.3.6.1.5.5.7.3.1", usages); // server: it accepts peers
        Assert.Contains("1.3.6.1.5.5.7.3.2", usages); // client: it dials them
        using var leafKey = leaf.GetECDsaPublicKey()!;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leafKey.ExportSubjectPublicKeyInfo());

        using var verify = new X509Chain();
        verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verify.ChainPolicy.CustomTrustStore.Add(_ca.Certificate);
        verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verify.ChainPolicy.VerificationTime = _clock.GetUtcNow().UtcDateTime;
        Assert.True(verify.Build(leaf));
    }

    [Fact]
    public void A_request_naming_another_room_is_refused_naming_both()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var refused = Assert.Throws<CertificateRequestException>(() => _issuer.Issue("room-a", Csr("CN=msdn-relay-room-b", key)));
        Assert.Contains("msdn-relay-room-b", refused.Message, StringComparison.Ordinal);
        Assert.Contains("room-a", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_whose_signature_does_not_match_its_key_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = new CertificateRequest("CN=msdn-relay-room-a", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        der[^3] ^= 0x55; // inside the signature
        var refused = Assert.Throws<CertificateRequestException>(() => _issuer.Issue("room-a", PemEncoding.WriteString("CERTIFICATE REQUEST", der)));
        Assert.Contains("PKCS#10", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weak_keys_and_bodies_that_are_no_request_are_refused()
    {
        using var rsa = RSA.Create(1024);
        var weak = new CertificateRequest("CN=msdn-relay-room-a", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        Assert.Contains("too weak", Assert.Throws<CertificateRequestException>(() => _issuer.Issue("room-a", weak)).Message, StringComparison.Ordinal);
        Assert.Throws<CertificateRequestException>(() => _issuer.Issue("room-a", "not a request"));
        Assert.Throws<CertificateRequestException>(() => _issuer.Issue("room-a", string.Empty));
    }

    [Fact]
    public void An_operator_CA_file_must_be_a_CA_with_its_key_and_owner_only()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leaf = new CertificateRequest("CN=not a ca", key, HashAlgorithmName.SHA256).CreateSelfSigned(_clock.GetUtcNow(), _clock.GetUtcNow().AddDays(1));
        var path = Path.Combine(_dir, "leaf.pem");
        SecretFile.Write(path, leaf.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        Assert.False(ClusterCa.TryLoad(path, out _, out var problem));
        Assert.Contains("not a CA", problem, StringComparison.Ordinal);

        var caPath = Path.Combine(_dir, ClusterCa.FileName);
        Assert.True(ClusterCa.TryLoad(caPath, out var loaded, out _));
        loaded!.Dispose();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(caPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            Assert.False(ClusterCa.TryLoad(caPath, out _, out var readable));
            Assert.Contains("chmod 600", readable, StringComparison.Ordinal);
        }
    }

    private static string Csr(string subject, ECDsa key) => new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
}
