using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Msdn.Router.Api;

/// <summary>
/// The API's rate limits: reports per room (a relay stuck in a loop cannot flood the route computer) and
/// route fetches per client address. Over the limit: 429 with Retry-After. Path lookups have their own,
/// cheaper limit (<see cref="PathLookupLimit"/>).
/// </summary>
public static class RouterRateLimits
{
    public const string Reports = "reports";
    public const string Routes = "routes";

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
            limiter.AddPolicy(Reports, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Request.RouteValues["room"]?.ToString() ?? string.Empty,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = reportsPerSecondPerRoom, Window = TimeSpan.FromSeconds(1) }));
            limiter.AddPolicy(Routes, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 1000, Window = TimeSpan.FromSeconds(1) }));
        });
    }
}
