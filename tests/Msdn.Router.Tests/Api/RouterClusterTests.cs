using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Msdn.Router.Api;
using Msdn.Router.Grains;
using Msdn.Router.Rooms;
using Orleans;
using Orleans.Runtime;

namespace Msdn.Router.Tests.Api;

/// <summary>
/// Two controller silos forming a real cluster through Redis (membership and grain state): stopping the
/// silo that runs the route computer, the other keeps answering and the route table survives.
/// </summary>
public sealed class RouterClusterTests
{
    private const string Redis = "127.0.0.1:6379";

    [SkippableFact]
    public async Task Stopping_the_route_computers_silo_loses_neither_the_api_nor_the_table()
    {
        Skip.IfNot(RedisIsUp(), $"needs Redis on {Redis} (.ci/run installs and starts it)");
        var cluster = $"test-{Guid.NewGuid():N}";
        var first = await RouterInstance.StartAsync("--redis", Redis, "--cluster-id", cluster);
        var second = await RouterInstance.StartAsync("--redis", Redis, "--cluster-id", cluster);
        try
        {
            await first.ReportAsync("room-a", ("room-b", 10, true), ("room-c", 100, true));
            await first.ReportAsync("room-b", ("room-a", 10, true), ("room-c", 10, true));
            await first.ReportAsync("room-c", ("room-a", 100, true), ("room-b", 10, true));
            var before = await EventuallyAsync(second, "/v1/paths/room-a/room-c", (PathAnswer p) => p.Primary.Hops.Count == 3);

            // Stop whichever silo runs the route computer; the other answers.
            var grains = first.App.Services.GetRequiredService<IGrainFactory>();
            var host = await grains.GetGrain<IRouteComputerGrain>(0).Silo();
            var (stopped, survivor) = host == SiloOf(first) ? (first, second) : (second, first);
            await stopped.DisposeAsync();

            // The survivor reactivates the route computer from Redis: same table, same version line.
            var survivorGrains = survivor.App.Services.GetRequiredService<IGrainFactory>();
            Assert.Equal(SiloOf(survivor), await survivorGrains.GetGrain<IRouteComputerGrain>(0).Silo());
            var table = (await survivorGrains.GetGrain<IRouteComputerGrain>(0).Table()).Value.Table;
            Assert.Equal(before.Version, table.Version);
            Assert.Equal<Msdn.Graph.Topology.RoomId>(["room-a", "room-b", "room-c"], table.Find("room-a", "room-c")!.Primary);
            var after = await survivor.Http.GetFromJsonAsync<PathAnswer>("/v1/paths/room-a/room-c");
            Assert.Equal(before.Version, after!.Version);
            Assert.Equal(HttpStatusCode.Accepted, (await survivor.ReportAsync("room-a", ("room-b", 10, true), ("room-c", 100, true))).StatusCode);
            if (stopped == second)
            {
                await first.DisposeAsync();
            }
            else
            {
                await second.DisposeAsync();
            }
        }
        catch
        {
            await Task.WhenAll(first.DisposeAsync().AsTask(), second.DisposeAsync().AsTask());
            throw;
        }
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task With_a_cluster_certificate_silos_talk_tls_and_refuse_plaintext_and_strangers()
    {
        Skip.IfNot(RedisIsUp(), $"needs Redis on {Redis} (.ci/run installs and starts it)");
        var dir = Directory.CreateTempSubdirectory("cluster-tls-").FullName;
        try
        {
            var pem = Path.Combine(dir, "cluster.pem");
            string clusterFingerprint;
            using (var clusterCertificate = SelfSigned("msdn-cluster"))
            {
                File.WriteAllText(pem, clusterCertificate.ExportCertificatePem() + "\n" + clusterCertificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
                clusterFingerprint = clusterCertificate.GetCertHashString(HashAlgorithmName.SHA256);
            }

            File.SetUnixFileMode(pem, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var cluster = $"tls-{Guid.NewGuid():N}";
            await using var first = await RouterInstance.StartAsync("--redis", Redis, "--cluster-id", cluster, "--cluster-certificate-file", pem);
            await using var second = await RouterInstance.StartAsync("--redis", Redis, "--cluster-id", cluster, "--cluster-certificate-file", pem);

            // Both silos are members (membership probes each other over TLS) and share one route computer.
            var management = second.App.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            await first.ReportAsync("room-a", ("room-b", 10, true));
            await first.ReportAsync("room-b", ("room-a", 10, true));
            await EventuallyAsync(second, "/v1/paths/room-a/room-b", (PathAnswer p) => p.Primary.Hops.Count == 2);
            Assert.Equal(2, (await management.GetHosts(onlyActive: true)).Count);

            // The silo port speaks TLS 1.3 to a peer with the cluster's certificate; a plaintext peer and a peer
            // with another certificate get nowhere.
            var silo = first.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint;
            using (var member = X509Certificate2.CreateFromPemFile(pem))
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(silo);
                using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) => certificate is X509Certificate2 presented && presented.GetCertHashString(HashAlgorithmName.SHA256) == clusterFingerprint);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "msdn", ClientCertificates = [member] }).WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, tls.SslProtocol);
            }

            Assert.True(await ClosedOnAsync(silo, async stream =>
            {
                await stream.WriteAsync("not tls at all\r\n"u8.ToArray());
                return await stream.ReadAtLeastAsync(new byte[64], 1, throwOnEndOfStream: false);
            }), "a plaintext connection is closed");
            using var stranger = SelfSigned("stranger");
            Assert.True(await ClosedOnAsync(silo, async stream =>
            {
                // The silo is who it should be (its certificate is the cluster's), but we are not.
                using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, certificate, _, _) => certificate is X509Certificate2 presented && presented.GetCertHashString(HashAlgorithmName.SHA256) == clusterFingerprint);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "msdn", ClientCertificates = [stranger] });
                await tls.WriteAsync(new byte[16]);
                return await tls.ReadAtLeastAsync(new byte[64], 1, throwOnEndOfStream: false); // refused after the handshake (TLS 1.3)
            }), "a peer presenting another certificate is refused");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse("2036-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Whether the silo ends a connection that speaks, then reads, as <paramref name="speakAndRead"/> does (reads nothing, or fails) within 10 s.</summary>
    private static async Task<bool> ClosedOnAsync(IPEndPoint silo, Func<NetworkStream, Task<int>> speakAndRead)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(silo);
        try
        {
            return await speakAndRead(client.GetStream()).WaitAsync(TimeSpan.FromSeconds(10)) == 0;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException)
        {
            return true;
        }
    }

    private static string SiloOf(RouterInstance instance) => instance.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();

    private static async Task<T> EventuallyAsync<T>(RouterInstance instance, string path, Func<T, bool> ready)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var answer = await instance.Http.GetAsync(path);
            if (answer.IsSuccessStatusCode && await answer.Content.ReadFromJsonAsync<T>() is { } value && ready(value))
            {
                return value;
            }

            await timer.WaitForNextTickAsync();
        }

        throw new TimeoutException($"{path} never became ready");
    }

    private static bool RedisIsUp()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPEndPoint.Parse(Redis));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
