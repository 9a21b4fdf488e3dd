using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Msdn.Overlay.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The relay executable's host: the relay, its admin endpoint on <c>Relay:Admin</c>, and its metrics
/// through OpenTelemetry — scraped at <c>/metrics</c> (Prometheus), and pushed over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class RelayHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddCommandLine(args, RelayServiceCollectionExtensions.SwitchMappings.ToDictionary());
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // one line per admin request is noise
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical); // a failed start is said once, in one line naming the setting, by the executable
        builder.Services.AddRelay();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("msdn-relay"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(RelayMetrics.MeterName, "System.Runtime").AddPrometheusExporter(); // System.Runtime: GC, allocation, CPU, threads
                if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
                {
                    metrics.AddOtlpExporter();
                }
            });
        var admin = builder.Configuration[$"{RelayOptions.SectionName}:{nameof(RelayOptions.Admin)}"] ?? new RelayOptions().Admin;
        if (string.IsNullOrEmpty(admin))
        {
            builder.WebHost.UseServer(new NoHttpServer()); // --admin "": no admin or metrics endpoint at all (OTLP still pushes)
        }
        else
        {
            builder.WebHost.UseUrls($"http://{admin}");
        }

        var app = builder.Build();
        var tokenFile = builder.Configuration[$"{RelayOptions.SectionName}:{nameof(RelayOptions.AdminTokenFile)}"];
        app.MapRelayAdmin(new AdminGuard(Msdn.Tokens.SecretFile.ReadIfNamed(tokenFile))); // an unusable file is refused at start by the validator
        app.MapPrometheusScrapingEndpoint();
        return app;
    }
}
