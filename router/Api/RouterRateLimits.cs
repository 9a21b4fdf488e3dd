using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Msdn.Router.Api;

/// <summary>
/// The API's rate limits: reports per authenticated room (a relay stuck in a loop cannot flood the route
/// computer), reports that fail authentication per client address (a stranger posting for a room spends
/// its own allowance, never the room's), and route fetches per client address. Over the limit: 429 with
/// Retry-After. Path lookups have their own, cheaper limit (<see cref="PathLookupLimit"/>).
/// </summary>
public static class RouterRateLimits
{
    public const string Reports = "reports";
    public const string Routes = "routes";

    /// <summary>Reports per second one client address may send that do not carry their room's credential.</summary>
    public const int UnauthenticatedReportsPerSecond = 10;

    /// <summary>Certificate requests per second a room may make (a relay makes one per renewal, days apart; a signature costs well under a millisecond).</summary>
    public const int CertificateRequestsPerSecondPerRoom = 10;

    public const string Certificates = "certificates";

    public static IServiceCollection AddRouterRateLimits(this IServiceCollection services, int reportsPerSecondPerRoom)
    {
        return services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return ValueTask.CompletedTask;
            };
            limiter.AddPolicy(Reports, context => PerRoom(context, "room:", reportsPerSecondPerRoom));
            limiter.AddPolicy(Certificates, context => PerRoom(context, "certificate:", CertificateRequestsPerSecondPerRoom));
            limiter.AddPolicy(Routes, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 1000, Window = TimeSpan.FromSeconds(1) }));
        });
    }

    /// <summary>
    /// A limit per authenticated room; requests without their room's credential share a small limit per client
    /// address instead, so a stranger cannot use up a room's allowance. The credential is checked here, before the
    /// limit is charged: the endpoint checks it again (an HMAC is cheap).
    /// </summary>
    private static RateLimitPartition<string> PerRoom(HttpContext context, string prefix, int perSecond)
    {
        var room = context.Request.RouteValues["room"]?.ToString() ?? string.Empty;
        var credentials = context.RequestServices.GetRequiredService<RoomCredentials>();
        return Msdn.Graph.Topology.RoomId.IsValid(room) && credentials.Verify(room, RouterEndpoints.Bearer(context.Request))
            ? RateLimitPartition.GetFixedWindowLimiter(
                prefix + room,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perSecond, Window = TimeSpan.FromSeconds(1) })
            : RateLimitPartition.GetFixedWindowLimiter(
                "unauthenticated:" + (context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = UnauthenticatedReportsPerSecond, Window = TimeSpan.FromSeconds(1) });
    }
}
