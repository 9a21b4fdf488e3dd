using System.Net;
using Msdn.Router.Api;
using Msdn.Router.Rooms;
using Msdn.Tokens;

namespace Msdn.Router.Tests.Api;

/// <summary>The report key: from a file only its owner can read, and when none is configured, generated into one (never logged).</summary>
public sealed class ReportKeyTests
{
    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_generated_key_is_written_owner_only_and_credentials_derived_from_it_are_accepted()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var file = Path.Combine(Path.GetTempPath(), $"msdn-router-{Environment.ProcessId}.report.key");
        File.Delete(file);
        await using var router = await RouterInstance.StartAsync("--Router:ReportKey=");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.True(SecretFile.TryRead(file, out var key, out var problem), problem);
        var credential = new RoomCredentials(Convert.FromBase64String(key)).For("room-k");
        var answer = await router.ReportAsync("room-k", new RoomReport { RelayEndpoint = "127.0.0.1:7500" }, credential);
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        File.Delete(file);
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_key_file_others_can_read_is_refused_naming_the_setting()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var dir = Directory.CreateTempSubdirectory("router-key-").FullName;
        var file = Path.Combine(dir, "report.key");
        File.WriteAllText(file, Convert.ToBase64String(new byte[32]));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RouterInstance.StartAsync("--Router:ReportKey=", "--report-key-file", file));
        Assert.Contains(error.Failures, f => f.Contains("ReportKeyFile", StringComparison.Ordinal) && f.Contains("chmod 600", StringComparison.Ordinal));
        Directory.Delete(dir, recursive: true);
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_cluster_certificate_file_without_a_certificate_or_others_can_read_is_refused_naming_the_setting()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var dir = Directory.CreateTempSubdirectory("router-cluster-").FullName;
        var file = Path.Combine(dir, "cluster.pem");
        File.WriteAllText(file, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var garbage = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RouterInstance.StartAsync("--cluster-certificate-file", file, "--Router:ClusterTrustedFingerprints:0=abc"));
        Assert.Contains(garbage.Failures, f => f.StartsWith("Router:ClusterCertificateFile", StringComparison.Ordinal) && f.Contains("PEM certificate", StringComparison.Ordinal));
        Assert.Contains(garbage.Failures, f => f.StartsWith("Router:ClusterTrustedFingerprints", StringComparison.Ordinal));

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var open = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RouterInstance.StartAsync("--cluster-certificate-file", file));
        Assert.Contains(open.Failures, f => f.StartsWith("Router:ClusterCertificateFile", StringComparison.Ordinal) && f.Contains("chmod 600", StringComparison.Ordinal));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task A_cluster_CA_file_that_is_no_CA_or_a_certificate_lifetime_out_of_range_is_refused_naming_the_setting()
    {
        var dir = Directory.CreateTempSubdirectory("router-ca-").FullName;
        var file = Path.Combine(dir, "ca.pem");
        Msdn.Tokens.SecretFile.Write(file, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RouterInstance.StartAsync("--cluster-ca-file", file, "--Router:RelayCertificateLifetime=00:00:01"));
        Assert.Contains(refused.Failures, f => f.StartsWith("Router:ClusterCaFile (--cluster-ca-file)", StringComparison.Ordinal));
        Assert.Contains(refused.Failures, f => f.StartsWith("Router:RelayCertificateLifetime", StringComparison.Ordinal));
        Directory.Delete(dir, recursive: true);
    }
}
