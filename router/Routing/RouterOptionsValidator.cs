using System.Net;
using Microsoft.Extensions.Options;
using Msdn.Router.Api;

namespace Msdn.Router.Routing;

/// <summary>Checks the controller's settings at start-up; every message names the setting.</summary>
public sealed class RouterOptionsValidator : IValidateOptions<RouterOptions>
{
    public ValidateOptionsResult Validate(string? name, RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string setting, string problem) => failures.Add($"{RouterOptions.SectionName}:{setting} {problem}");

        if (options.RecomputeInterval <= TimeSpan.Zero)
        {
            Fail(nameof(options.RecomputeInterval), $"must be positive, got {options.RecomputeInterval}.");
        }

        if (options.ComputeThreads is < 1 or > 256)
        {
            Fail(nameof(options.ComputeThreads), $"must be in 1..256, got {options.ComputeThreads}.");
        }

        if (options.StaleAfter <= TimeSpan.Zero || options.UnreachableAfter <= options.StaleAfter)
        {
            Fail(nameof(options.UnreachableAfter), $"({options.UnreachableAfter}) must exceed StaleAfter ({options.StaleAfter}), which must be positive.");
        }

        if (options.FirstTableAfter < TimeSpan.Zero || options.FirstTableAfter > options.UnreachableAfter)
        {
            Fail(nameof(options.FirstTableAfter), $"must be between 0 and UnreachableAfter ({options.UnreachableAfter}), got {options.FirstTableAfter}.");
        }

        if (options.TablePersistInterval < TimeSpan.Zero || options.TablePersistInterval > TimeSpan.FromHours(1))
        {
            Fail(nameof(options.TablePersistInterval), $"must be between 0 (every version) and 1 hour, got {options.TablePersistInterval}.");
        }

        if (options.DiffHistory is < 0 or > 1000)
        {
            Fail(nameof(options.DiffHistory), $"must be in 0..1000, got {options.DiffHistory}.");
        }

        foreach (var (setting, file) in new[] { (nameof(options.ReportKeyFile), options.ReportKeyFile), (nameof(options.MediaTokenKeyFile), options.MediaTokenKeyFile), (nameof(options.OperatorTokenFile), options.OperatorTokenFile) })
        {
            if (file is { Length: > 0 } && !Msdn.Tokens.SecretFile.TryRead(file, out _, out var problem))
            {
                Fail(setting, $"{problem}.");
            }
        }

        if (options.ClusterCertificateFile is { Length: > 0 } clusterCertificate)
        {
            if (Hosting.ClusterTls.TryLoad(clusterCertificate, out var loaded, out var problem))
            {
                loaded!.Dispose();
            }
            else
            {
                Fail(nameof(options.ClusterCertificateFile), $"(--cluster-certificate-file) {problem}.");
            }
        }

        if (options.ClusterCaFile is { Length: > 0 } clusterCa)
        {
            if (Identity.ClusterCa.TryLoad(clusterCa, out var ca, out var problem))
            {
                ca!.Dispose();
            }
            else
            {
                Fail(nameof(options.ClusterCaFile), $"(--cluster-ca-file) {problem}.");
            }
        }

        if (options.RelayCertificateLifetime < TimeSpan.FromSeconds(5) || options.RelayCertificateLifetime > TimeSpan.FromDays(398))
        {
            Fail(nameof(options.RelayCertificateLifetime), $"must be between 00:00:05 and 398.00:00:00 (a relay renews at two thirds of it), got {options.RelayCertificateLifetime}.");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            Fail(nameof(options.DataDirectory), "must name a directory (the controller keeps the cluster CA it creates there).");
        }

        foreach (var fingerprint in options.ClusterTrustedFingerprints)
        {
            if (fingerprint.Replace(":", string.Empty, StringComparison.Ordinal) is not { Length: 64 } hex || !hex.All(char.IsAsciiHexDigit))
            {
                Fail(nameof(options.ClusterTrustedFingerprints), $"entries must be SHA-256 fingerprints (64 hex digits), got '{fingerprint}'.");
            }
        }

        if (options.OperatorToken is { Length: > 0 and < 16 })
        {
            Fail(nameof(options.OperatorToken), "(or OperatorTokenFile) must have at least 16 characters.");
        }

        var key = new byte[1024];
        if (options.ReportKey is { Length: > 0 } reportKey && !(Convert.TryFromBase64String(reportKey, key, out var length) && length >= RoomCredentials.MinimumKeyLength))
        {
            Fail(nameof(options.ReportKey), $"(or ReportKeyFile, --report-key-file) must be base64 of at least {RoomCredentials.MinimumKeyLength} bytes.");
        }

        if (options.MediaTokenKey is { Length: > 0 } tokenKey && !(Convert.TryFromBase64String(tokenKey, key, out var tokenKeyLength) && tokenKeyLength >= Msdn.Tokens.MediaTokens.MinimumKeyLength))
        {
            Fail(nameof(options.MediaTokenKey), $"must be base64 of at least {Msdn.Tokens.MediaTokens.MinimumKeyLength} bytes.");
        }

        if (!IPEndPoint.TryParse(options.Listen ?? string.Empty, out _))
        {
            Fail(nameof(options.Listen), $"(--listen) must be address:port, got '{options.Listen}'.");
        }

        if (!IPAddress.TryParse(options.AdvertisedAddress ?? string.Empty, out _))
        {
            Fail(nameof(options.AdvertisedAddress), $"must be an IP address, got '{options.AdvertisedAddress}'.");
        }

        if (options.SiloPort is < 1 or > 65535)
        {
            Fail(nameof(options.SiloPort), $"must be a port (1-65535), got {options.SiloPort}.");
        }

        if (options.GatewayPort is < 0 or > 65535)
        {
            Fail(nameof(options.GatewayPort), $"must be a port (1-65535), or 0 for no gateway, got {options.GatewayPort}.");
        }

        if (options.PathLookupsPerSecondPerClient < 1)
        {
            Fail(nameof(options.PathLookupsPerSecondPerClient), $"must be at least 1, got {options.PathLookupsPerSecondPerClient}.");
        }

        if (options.MaxRelaysPerRoom is < 1 or > 1024)
        {
            Fail(nameof(options.MaxRelaysPerRoom), $"must be in [1, 1024], got {options.MaxRelaysPerRoom}.");
        }

        if (options.ReportsPerSecondPerRoom < 1)
        {
            Fail(nameof(options.ReportsPerSecondPerRoom), $"must be at least 1, got {options.ReportsPerSecondPerRoom}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
