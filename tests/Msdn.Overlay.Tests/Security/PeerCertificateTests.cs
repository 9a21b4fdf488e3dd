using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Msdn.Overlay.Security;

namespace Msdn.Overlay.Tests.Security;

public sealed class PeerCertificateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("relay-certs-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_development_certificate_is_created_once_and_reused()
    {
        using var first = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "a"), "room-a", _clock);
        using var second = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "a"), "room-a", _clock);
        Assert.Equal(RelayCertificates.Fingerprint(first), RelayCertificates.Fingerprint(second));
        Assert.True(second.HasPrivateKey);
        Assert.Equal("CN=msdn-relay-room-a", first.Subject);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(_dir, "a", RelayCertificates.DevelopmentFileName));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode); // the private key: owner only
        }
    }

    [Fact]
    public void Pinned_certificates_are_trusted_and_others_refused_naming_the_fingerprint()
    {
        using var known = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "a"), "room-a", _clock);
        using var stranger = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "b"), "room-b", _clock);
        var policy = new PeerCertificatePolicy([RelayCertificates.Fingerprint(known)], null, _clock);
        policy.Verify(known);
        var error = Assert.Throws<PeerAuthenticationException>(() => policy.Verify(stranger));
        Assert.Contains(RelayCertificates.Fingerprint(stranger), error.Message, StringComparison.Ordinal);
        Assert.Throws<PeerAuthenticationException>(() => policy.Verify(null));
    }

    [Fact]
    public void An_expired_pinned_certificate_is_refused()
    {
        using var known = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "a"), "room-a", _clock);
        var policy = new PeerCertificatePolicy([RelayCertificates.Fingerprint(known)], null, _clock);
        _clock.Advance(TimeSpan.FromDays(3 * 365));
        var error = Assert.Throws<PeerAuthenticationException>(() => policy.Verify(known));
        Assert.Contains("validity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificates_issued_by_the_cluster_ca_are_trusted()
    {
        var now = _clock.GetUtcNow();
        using var ca = ClusterCa();
        using var leaf = Issue(ca, "room-c", TimeSpan.FromDays(365));

        new PeerCertificatePolicy([], ca, _clock).Verify(leaf);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherCa = new CertificateRequest("CN=other-ca", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        Assert.Throws<PeerAuthenticationException>(() => new PeerCertificatePolicy([], otherCa, _clock).Verify(leaf));
    }

    [Fact]
    public void A_CA_certificate_is_trusted_while_the_directory_lists_its_room_and_a_connection_outlives_its_expiry_not_its_room()
    {
        using var ca = ClusterCa();
        using var leaf = Issue(ca, "room-c", TimeSpan.FromHours(1));
        var listed = new HashSet<string> { "room-c" };
        var policy = new PeerCertificatePolicy([], null, _clock, registered: null, liveRoom: listed.Contains);

        Assert.False(policy.Trusts(leaf)); // no CA learned yet
        policy.TrustClusterCa(ca);
        policy.Verify(leaf);

        listed.Remove("room-c"); // the operator removed the room: its certificates are revoked, connections included
        Assert.False(policy.StillTrusts(leaf));
        Assert.Contains("not in the controller's directory", Assert.Throws<PeerAuthenticationException>(() => policy.Verify(leaf)).Message, StringComparison.Ordinal);

        listed.Add("room-c");
        _clock.Advance(TimeSpan.FromHours(2)); // expired: no new handshake, but an established connection goes on
        Assert.Contains("outside its validity", Assert.Throws<PeerAuthenticationException>(() => policy.Verify(leaf)).Message, StringComparison.Ordinal);
        Assert.True(policy.StillTrusts(leaf));
    }

    [Fact]
    public void A_dialled_room_must_present_its_own_certificate_not_another_trusted_relay_s()
    {
        using var ca = ClusterCa();
        using var roomC = Issue(ca, "room-c", TimeSpan.FromHours(1));
        using var roomB = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "b"), "room-b", _clock);
        using var pinned = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "p"), "room-p", _clock);
        var registered = new Dictionary<string, string> { ["room-b"] = RelayCertificates.Fingerprint(roomB) };
        var policy = new PeerCertificatePolicy([RelayCertificates.Fingerprint(pinned)], ca, _clock, registered.ContainsValue, _ => true, (room, fingerprint) => registered.GetValueOrDefault(room) == fingerprint);

        Assert.Null(policy.NotRoomOf("room-c", roomC)); // the CA's certificate for that room
        Assert.Null(policy.NotRoomOf("room-b", roomB)); // the fingerprint the directory registers for that room
        Assert.Null(policy.NotRoomOf("room-x", pinned)); // pins name no room
        Assert.Contains("not room room-b's certificate", policy.NotRoomOf("room-b", roomC), StringComparison.Ordinal); // room-c answering at room-b's address
        Assert.NotNull(policy.NotRoomOf("room-c", roomB));
    }

    [Fact]
    public async Task Mutual_tls_on_loopback_admits_a_pinned_relay_and_refuses_an_unknown_one()
    {
        using var server = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "server"), "room-s", _clock);
        using var pinned = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "pinned"), "room-p", _clock);
        using var unknown = RelayCertificates.LoadOrCreateDevelopment(Path.Combine(_dir, "unknown"), "room-u", _clock);
        var serverPolicy = new PeerCertificatePolicy([RelayCertificates.Fingerprint(pinned)], null, _clock);
        var clientPolicy = new PeerCertificatePolicy([RelayCertificates.Fingerprint(server)], null, _clock);

        Assert.True(await HandshakeAsync(server, serverPolicy, pinned, clientPolicy));
        Assert.False(await HandshakeAsync(server, serverPolicy, unknown, clientPolicy));
    }

    /// <summary>A TLS 1.3 handshake between two real sockets; true when both sides accepted.</summary>
    /// <summary>A cluster CA as the controller makes one (its key held by the certificate).</summary>
    private X509Certificate2 ClusterCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=msdn-cluster-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = _clock.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
    }

    /// <summary>A relay certificate for <paramref name="room"/> signed by <paramref name="ca"/>, valid from a minute ago.</summary>
    private X509Certificate2 Issue(X509Certificate2 ca, string room, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = _clock.GetUtcNow();
        using var issued = new CertificateRequest($"CN=msdn-relay-{room}", key, HashAlgorithmName.SHA256).Create(ca, now.AddMinutes(-1), now + lifetime, RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    private static async Task<bool> HandshakeAsync(X509Certificate2 serverCert, PeerCertificatePolicy serverPolicy, X509Certificate2 clientCert, PeerCertificatePolicy clientPolicy)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        var accept = listener.AcceptTcpClientAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await accept;
        await using var serverStream = new SslStream(accepted.GetStream());
        await using var clientStream = new SslStream(client.GetStream());
        var serverSide = serverStream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = serverCert,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = serverPolicy.Validate,
        });
        var clientSide = clientStream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "msdn-relay",
            ClientCertificates = [clientCert],
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = clientPolicy.Validate,
        });
        try
        {
            await Task.WhenAll(serverSide, clientSide).WaitAsync(TimeSpan.FromSeconds(10));
            return serverStream.IsMutuallyAuthenticated;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return false;
        }
    }
}
