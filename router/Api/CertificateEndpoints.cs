using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Msdn.Graph.Topology;
using Msdn.Router.Grains;
using Msdn.Router.Identity;
using Orleans;

namespace Msdn.Router.Api;

/// <summary>
/// Identity from the centre: a relay sends a certificate signing request with its room's credential and gets
/// back a certificate the cluster CA signed for its room (docs/identity.md); anyone may fetch the CA certificate.
/// </summary>
public static class CertificateEndpoints
{
    public const string PemChainType = "application/pem-certificate-chain";

    /// <summary>The fingerprint of the certificate the relay holds now (so renewing is not a second claim on its room).</summary>
    public const string FingerprintHeader = "X-Msdn-Certificate-Fingerprint";

    public static IEndpointRouteBuilder MapCertificateApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/v1/rooms/{room}/certificate", async (string room, HttpRequest request, RoomCredentials credentials, IGrainFactory grains, RouterMetrics metrics) =>
        {
            if (!RoomId.IsValid(room))
            {
                metrics.Refused("certificate", "not-a-room");
                return Results.Problem($"'{room}' is not a room id.", statusCode: StatusCodes.Status400BadRequest);
            }

            if (!credentials.Verify(room, RouterEndpoints.Bearer(request)))
            {
                metrics.Refused("certificate", "credential");
                return Results.Problem($"No valid credential for room {room}.", statusCode: StatusCodes.Status401Unauthorized);
            }

            if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            {
                bodyLimit.MaxRequestBodySize = RelayCertificateIssuer.MaxRequestBytes;
            }

            string pem;
            try
            {
                using var reader = new StreamReader(request.Body);
                pem = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                metrics.Refused("certificate", "body");
                return Results.Problem($"The body could not be read: {e.Message} (a request may have at most {RelayCertificateIssuer.MaxRequestBytes} bytes).", statusCode: e.StatusCode);
            }

            var presented = request.Headers[FingerprintHeader].ToString();
            var outcome = await grains.GetGrain<IRoomGrain>(room).IssueCertificate(pem, presented.Length > 0 ? presented : null).ConfigureAwait(false);
            if (outcome.Issued is { } issued)
            {
                metrics.Issued();
                return Results.Text(issued.ChainPem, PemChainType);
            }

            metrics.Refused("certificate", outcome.Refusal.ToString()!.ToLowerInvariant());
            return outcome.Refusal switch
            {
                CertificateRefusal.Removed => Results.Problem(outcome.Reason, statusCode: StatusCodes.Status403Forbidden),
                CertificateRefusal.Conflict => Results.Problem(outcome.Reason, statusCode: StatusCodes.Status409Conflict),
                CertificateRefusal.NoCa => Results.Problem(outcome.Reason, statusCode: StatusCodes.Status404NotFound),
                _ => Results.Problem(outcome.Reason, statusCode: StatusCodes.Status400BadRequest),
            };
        }).RequireRateLimiting(RouterRateLimits.Certificates);

        // Public: relays and operators check the certificates relays present against it.
        app.MapGet("/v1/ca", (IServiceProvider services) => services.GetService<RelayCertificateIssuer>() is { } issuer
            ? Results.Text(issuer.CaPem, "application/x-pem-file")
            : Results.Problem("This controller signs no relay certificates (clustered without Router:ClusterCaFile).", statusCode: StatusCodes.Status404NotFound));
        return app;
    }
}
