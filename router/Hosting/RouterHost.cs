using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Msdn.Router.Api;
using Msdn.Router.Grains;
using Msdn.Router.Routing;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Configuration;
using Orleans.Hosting;
using StackExchange.Redis;

namespace Msdn.Router.Hosting;

/// <summary>
/// The controller's host: one Orleans silo and the HTTP API beside it. With no configuration, a single
/// local silo (localhost clustering, in-memory storage); with <c>Router:Redis</c>, a member of a real
/// cluster whose membership and grain state live in Redis.
/// </summary>
public static partial class RouterHost
{
    public static IReadOnlyDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>
    {
        ["--listen"] = "Router:Listen",
        ["--redis"] = "Router:Redis",
        ["--cluster-id"] = "Router:ClusterId",
        ["--silo-port"] = "Router:SiloPort",
        ["--gateway-port"] = "Router:GatewayPort",
        ["--report-key-file"] = "Router:ReportKeyFile",
        ["--token-key-file"] = "Router:MediaTokenKeyFile",
        ["--cluster-certificate-file"] = "Router:ClusterCertificateFile",
        ["--operator-token-file"] = "Router:OperatorTokenFile",
        ["--cluster-ca-file"] = "Router:ClusterCaFile",
        ["--data-directory"] = "Router:DataDirectory",
    };

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddCommandLine(args, SwitchMappings.ToDictionary());
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        var services = builder.Services;
        services.AddRouterCore();
        services.AddSingleton<RouteTableCache>();
        services.AddSingleton(sp => Credentials(sp.GetRequiredService<IOptions<RouterOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterHost))));

        // Hosting decisions (clustering, ports) are read before the host exists; the validator still checks them at start.
        var settings = builder.Configuration.GetSection(RouterOptions.SectionName).Get<RouterOptions>() ?? new RouterOptions();

        // Orleans takes its ports while the host starts, before the validator runs; so the same checks run here first, and a bad port is one line naming it, not a stack trace.
        new RouterSecretFiles().PostConfigure(null, settings);
        if (new RouterOptionsValidator().Validate(null, settings) is { Failed: true } invalid)
        {
            throw new OptionsValidationException(RouterOptions.SectionName, typeof(RouterOptions), invalid.Failures);
        }
        services.AddRouterRateLimits(Math.Max(1, settings.ReportsPerSecondPerRoom));
        services.AddSingleton(sp =>
        {
            var key = sp.GetRequiredService<IOptions<RouterOptions>>().Value.MediaTokenKey;
            var time = sp.GetRequiredService<TimeProvider>();
            if (string.IsNullOrEmpty(key))
            {
                Log.OpenLookups(sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterHost)));
                return new PathLookupTokens(null, time);
            }

            return new PathLookupTokens(new Msdn.Tokens.MediaTokens(Convert.FromBase64String(key), time), time);
        });
        if (settings.ClusterCaFile is { Length: > 0 } || settings.Redis is not { Length: > 0 })
        {
            services.AddSingleton(sp => LoadClusterCa(sp.GetRequiredService<IOptions<RouterOptions>>().Value, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterHost))));
            services.AddSingleton(sp => new Identity.RelayCertificateIssuer(sp.GetRequiredService<Identity.ClusterCa>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<RouterOptions>>().Value.RelayCertificateLifetime));
        }

        services.AddSingleton(sp => new PathLookupLimit(sp.GetRequiredService<IOptions<RouterOptions>>().Value.PathLookupsPerSecondPerClient, sp.GetRequiredService<TimeProvider>()));
        builder.UseOrleans(silo =>
        {
            // A certificate that cannot be used leaves TLS off here; the validator then stops the start, naming the setting.
            if (settings.ClusterCertificateFile is { Length: > 0 } clusterCertificate && ClusterTls.TryLoad(clusterCertificate, out var certificate, out _))
            {
                silo.UseClusterTls(certificate!, settings.ClusterTrustedFingerprints);
            }

            if (settings.Redis is { Length: > 0 } redis)
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
                silo.AddRedisGrainStorage(RouterStorage.Name, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = settings.ClusterId;
                    o.ServiceId = "msdn-router";
                });
                silo.ConfigureEndpoints(IPAddress.TryParse(settings.AdvertisedAddress, out var address) ? address : IPAddress.Loopback, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
            }
            else
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort);
                silo.AddMemoryGrainStorage(RouterStorage.Name);
            }

            RouterStorage.UseBinarySerializer(silo.Services);
        });
        services.AddHostedService(sp => sp.GetRequiredService<RouteTableCache>()); // after the silo: it calls grains

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("msdn-router"))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter("Microsoft.Orleans", RouterMetrics.MeterName, "System.Runtime").AddPrometheusExporter(); // System.Runtime: GC, allocation, CPU, threads
                if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
                {
                    metrics.AddOtlpExporter();
                }
            });
        builder.WebHost.UseUrls($"http://{settings.Listen}");

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // A generated key or a created CA is said at start, not at the first report.
            app.Services.GetRequiredService<RoomCredentials>();
            if (app.Services.GetService<Identity.RelayCertificateIssuer>() is null)
            {
                Log.NoClusterCa(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterHost)));
            }
        });
        app.UseRateLimiter();
        app.MapRouterApi();
        app.MapPrometheusScrapingEndpoint();
        app.Services.GetRequiredService<RouterMetrics>().ObserveTable(app.Services.GetRequiredService<RouteTableCache>());
        return app;
    }

    private static RoomCredentials Credentials(RouterOptions options, ILogger logger)
    {
        if (options.ReportKey is { Length: > 0 } key)
        {
            return new RoomCredentials(Convert.FromBase64String(key));
        }

        // Never in the log: whoever reads it could mint any room's credential.
        var generated = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var file = Path.Combine(Path.GetTempPath(), $"msdn-router-{Environment.ProcessId}.report.key");
        Msdn.Tokens.SecretFile.Write(file, Convert.ToBase64String(generated));
        Log.GeneratedKey(logger, file);
        return new RoomCredentials(generated);
    }

    /// <summary>Whether starting failed because an address the controller binds (API, silo, gateway) is taken.</summary>
    public static bool InUse(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } || (e is IOException && e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One line naming the settings whose addresses may be taken, with their values.</summary>
    public static string InUseMessage(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(args, SwitchMappings.ToDictionary()).AddEnvironmentVariables().Build();
        var settings = configuration.GetSection(RouterOptions.SectionName).Get<RouterOptions>() ?? new RouterOptions();
        return $"an address is already in use: Router:Listen (--listen) {settings.Listen}, Router:SiloPort (--silo-port) {settings.SiloPort} or Router:GatewayPort (--gateway-port) {settings.GatewayPort}.";
    }

    private static Identity.ClusterCa LoadClusterCa(RouterOptions options, TimeProvider time, ILogger logger)
    {
        if (options.ClusterCaFile is { Length: > 0 } file)
        {
            return Identity.ClusterCa.TryLoad(file, out var given, out var problem) ? given! : throw new InvalidOperationException(problem); // the validator said so first
        }

        var ca = Identity.ClusterCa.LoadOrCreate(options.DataDirectory, time, out var created);
        var path = Path.GetFullPath(Path.Combine(options.DataDirectory, Identity.ClusterCa.FileName));
        var fingerprint = ca.Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        if (created)
        {
            Log.CreatedClusterCa(logger, path, fingerprint);
        }
        else
        {
            Log.KeptClusterCa(logger, path, fingerprint);
        }

        return ca;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Created the cluster CA in {Path} (owner-only; SHA-256 {Fingerprint}): it signs every relay's certificate. Keep it, or set Router:ClusterCaFile; a clustered controller needs the same file on every silo")]
        public static partial void CreatedClusterCa(ILogger logger, string path, string fingerprint);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Signing relay certificates with the cluster CA in {Path} (SHA-256 {Fingerprint})")]
        public static partial void KeptClusterCa(ILogger logger, string path, string fingerprint);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "No Router:ClusterCaFile on a clustered controller: relay certificates are not signed here, and relays are trusted by the fingerprints they register")]
        public static partial void NoClusterCa(ILogger logger);

        [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "No Router:ReportKey configured: generated one for this run and wrote it to {Path}, readable by this user only (development only; relays' room credentials derive from it)")]
        public static partial void GeneratedKey(ILogger logger, string path);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "No Router:MediaTokenKey configured: path lookups are open to anyone who reaches the API (development only)")]
        public static partial void OpenLookups(ILogger logger);
    }
}
