using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Msdn.Router.Rooms;
using Msdn.Tokens;

namespace Msdn.Router.Tests.Api;

/// <summary>
/// <c>POST /v1/rooms/{room}/certificate</c> on a real controller: the credential first, then the room's state
/// (removed, held by another relay), then the request itself; each refusal typed, counted, and the API serving on.
/// </summary>
public sealed class CertificateApiTests : IAsyncLifetime
{
    private const string OperatorToken = "operator-token-0123456789";
    private RouterInstance _router = null!;

    public async Task InitializeAsync() => _router = await RouterInstance.StartAsync($"--Router:OperatorToken={OperatorToken}", "--Router:MaxRelaysPerRoom=1");

    public async Task DisposeAsync() => await _router.DisposeAsync();

    [Fact]
    public async Task A_relay_gets_its_room_s_certificate_and_every_bad_request_a_typed_refusal()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=msdn-relay-room-a", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        Assert.Equal(HttpStatusCode.Unauthorized, (await RequestAsync("room-a", csr, credential: "not-the-credential")).StatusCode);
        var otherRoom = await RequestAsync("room-b", csr);
        Assert.Equal(HttpStatusCode.BadRequest, otherRoom.StatusCode);
        Assert.Contains("msdn-relay-room-a", await otherRoom.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await RequestAsync("room-a", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----")).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await RequestAsync("room-a", new string('A', 64 * 1024))).StatusCode);

        var issued = await RequestAsync("room-a", csr);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.Equal("application/pem-certificate-chain", issued.Content.Headers.ContentType?.MediaType);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(await issued.Content.ReadAsStringAsync());
        using var leaf = chain[0];
        using var ca = chain[1];
        Assert.Equal("room-a", RelayCertificateNames.RoomOf(leaf));
        using var published = X509Certificate2.CreateFromPem(await _router.Http.GetStringAsync("/v1/ca"));
        Assert.Equal(published.RawData, ca.RawData);

        // Registered with that certificate, the relay is one of the room's (this controller allows one: Router:MaxRelaysPerRoom):
        // another relay presenting another one is refused, while the holder renewing (presenting its own) is not, and its
        // next certificate registers without a conflict.
        var fingerprint = leaf.GetCertHashString(HashAlgorithmName.SHA256);
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "127.0.0.1:7001", CertificateFingerprint = fingerprint })).StatusCode);
        var second = await RequestAsync("room-a", csr, presented: new string('B', 64));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("Router:MaxRelaysPerRoom", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var renewed = await RequestAsync("room-a", csr, presented: fingerprint);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        using var next = X509Certificate2.CreateFromPem(await renewed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Accepted, (await _router.ReportAsync("room-a", new RoomReport { RelayEndpoint = "127.0.0.1:7001", CertificateFingerprint = next.GetCertHashString(HashAlgorithmName.SHA256) })).StatusCode);

        // A room the operator removed gets no certificate.
        using var remove = new HttpRequestMessage(HttpMethod.Delete, "/v1/rooms/room-a");
        remove.Headers.Authorization = new("Bearer", OperatorToken);
        Assert.Equal(HttpStatusCode.NoContent, (await _router.Http.SendAsync(remove)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await RequestAsync("room-a", csr, presented: fingerprint)).StatusCode);

        var metrics = await _router.Http.GetStringAsync("/metrics");
        foreach (var reason in new[] { "credential", "badrequest", "conflict", "removed" })
        {
            Assert.Contains($"reason=\"{reason}\"", metrics, StringComparison.Ordinal);
        }

        Assert.Contains("msdn_router_certificates_issued", metrics, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> RequestAsync(string room, string body, string? credential = null, string? presented = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/rooms/{room}/certificate") { Content = new StringContent(body) };
        request.Headers.Authorization = new("Bearer", credential ?? RouterInstance.Credentials.For(room));
        if (presented is not null)
        {
            request.Headers.Add("X-Msdn-Certificate-Fingerprint", presented);
        }

        return _router.Http.SendAsync(request);
    }
}
