using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Router.Grains;
using Orleans;

namespace Msdn.Router.Api;

/// <summary>The controller's HTTP API; any silo answers.</summary>
public static class RouterEndpoints
{
    public const string MessagePackType = "application/x-msgpack";
    public const string RoomHeader = "X-Msdn-Room";
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    public static IEndpointRouteBuilder MapRouterApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapReportApi();

        // Route tables for relays: a diff from a remembered version, else the whole table; long-poll with wait.
        // With to (destinations, comma-separated), only what that relay reads (RouteTable.Restricted), and a
        // long-poll is not woken by versions that change nothing of it.
        app.MapGet("/v1/routes", async (long? since, double? wait, string? to, HttpRequest request, RoomCredentials credentials, RouteTableCache cache, IGrainFactory grains, RouterMetrics metrics) =>
        {
            if (await RelayFetchRefusalAsync("Route tables", "routes", request, credentials, grains, since, wait).ConfigureAwait(false) is { } refusal)
            {
                return refusal;
            }

            if (RouteInterestQuery.Problem(to, out var destinations) is { } problem)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
            }

            var self = new RoomId(request.Headers[RoomHeader].ToString());
            var snapshot = cache.Current;
            if (since is { } known && known > snapshot.Table.Version)
            {
                return Results.Problem($"Version {known} is newer than the current {snapshot.Table.Version}: the controller's line restarted; fetch without since.", statusCode: StatusCodes.Status409Conflict);
            }

            var time = request.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
            var waitFor = TimeSpan.FromSeconds(Math.Min(wait ?? 0, MaxWait.TotalSeconds));
            var started = time.GetTimestamp();
            var seen = since;
            while (since is { } from)
            {
                if (snapshot.Table.Version == seen)
                {
                    var left = waitFor - time.GetElapsedTime(started);
                    snapshot = left > TimeSpan.Zero ? await cache.WaitNewerAsync(seen.Value, left, request.HttpContext.RequestAborted).ConfigureAwait(false) : cache.Current;
                    if (snapshot.Table.Version == from)
                    {
                        return Results.StatusCode(StatusCodes.Status304NotModified);
                    }
                }

                if (cache.DiffFrom(from, snapshot.Table) is not { } diff)
                {
                    break; // too old to remember: the whole (restricted) table
                }

                var mine = diff.Restricted(self, destinations);
                if (mine.Changes.IsEmpty && !mine.RoomsChanged && time.GetElapsedTime(started) < waitFor && snapshot.Table.Version - from < cache.RememberedVersions / 2)
                {
                    seen = snapshot.Table.Version; // nothing this relay reads: keep waiting (but answer before its version is forgotten)
                    continue;
                }

                request.HttpContext.Response.Headers["X-Msdn-Version"] = snapshot.Table.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                request.HttpContext.Response.Headers["X-Msdn-Table"] = "diff";
                var encodedDiff = RouteTableCodec.EncodeDiff(mine);
                metrics.RoutesAnswered("diff", destinations is not null, encodedDiff.Length);
                return Results.Bytes(encodedDiff, MessagePackType);
            }

            request.HttpContext.Response.Headers["X-Msdn-Version"] = snapshot.Table.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            request.HttpContext.Response.Headers["X-Msdn-Table"] = "full";
            var encoded = destinations is null ? snapshot.Encoded : RouteTableCodec.Encode(snapshot.Table.Restricted(self, destinations));
            metrics.RoutesAnswered("full", destinations is not null, encoded.Length);
            return Results.Bytes(encoded, MessagePackType);
        }).RequireRateLimiting(RouterRateLimits.Routes);

        // The relay directory for relays: every relay's endpoints and certificate fingerprint, as diffs from a
        // version the relay holds; with since = the current version, waits up to wait s for the next.
        app.MapGet("/v1/directory", async (long? since, double? wait, HttpRequest request, RoomCredentials credentials, RouteTableCache cache, IGrainFactory grains) =>
        {
            if (await RelayFetchRefusalAsync("Directory fetches", "directory", request, credentials, grains, since, wait).ConfigureAwait(false) is { } refusal)
            {
                return refusal;
            }

            var answer = cache.RelaysSince(since);
            if (since is { } current && current == answer.Version && wait > 0)
            {
                await cache.WaitRelaysNewerAsync(current, TimeSpan.FromSeconds(Math.Min(wait.Value, MaxWait.TotalSeconds)), request.HttpContext.RequestAborted).ConfigureAwait(false);
                answer = cache.RelaysSince(since);
            }

            return since == answer.Version
                ? Results.StatusCode(StatusCodes.Status304NotModified)
                : Results.Json(answer, RouterJsonContext.Default.DirectoryAnswer);
        }).RequireRateLimiting(RouterRateLimits.Routes);

        // Path lookup for media engines, from this silo's cached table.
        app.MapGet("/v1/paths/{from}/{to}", (string from, string to, HttpContext context, RouteTableCache cache, PathLookupLimit limit, PathLookupTokens tokens, RouterMetrics metrics, TimeProvider time) =>
        {
            var arrived = time.GetTimestamp();
            var (result, outcome) = LookUp(from, to, context, cache, limit, tokens);
            metrics.PathLookup(outcome, time.GetElapsedTime(arrived));
            return result;
        });

        // The operator removes a room (its relay is then refused by its peers and the controller) or admits it again.
        app.MapDelete("/v1/rooms/{room}", async (string room, HttpRequest request, IOptions<Routing.RouterOptions> options, IGrainFactory grains) =>
            OperatorRefusal(room, request, options.Value) ?? await Done(grains.GetGrain<IRoomGrain>(room).Remove()).ConfigureAwait(false));
        app.MapDelete("/v1/rooms/{room}/relays/{relay}", async (string room, string relay, HttpRequest request, IOptions<Routing.RouterOptions> options, IGrainFactory grains) =>
            OperatorRefusal(room, request, options.Value) ?? (await grains.GetGrain<IRoomGrain>(room).RemoveRelay(relay).ConfigureAwait(false) switch
            {
                RelayRemoval.Removed => Results.NoContent(),
                RelayRemoval.NotFound => Results.Problem($"Room {room} has no relay registered at '{relay}' (GET /v1/rooms lists each relay's endpoint).", statusCode: StatusCodes.Status404NotFound),
                _ => Results.Problem($"The relay at {relay} is room {room}'s only one: remove the room instead (DELETE /v1/rooms/{room}).", statusCode: StatusCodes.Status409Conflict),
            }));
        app.MapPut("/v1/rooms/{room}", async (string room, HttpRequest request, IOptions<Routing.RouterOptions> options, IGrainFactory grains) =>
            OperatorRefusal(room, request, options.Value) ?? await Done(grains.GetGrain<IRoomGrain>(room).Admit()).ConfigureAwait(false));

        app.MapCertificateApi();
        app.MapGet("/v1/rooms", (RouteTableCache cache) => Results.Ok(cache.Current.Rooms.Values.OrderBy(r => r.Room, StringComparer.Ordinal)));
        app.MapGet("/healthz", () => Results.Ok("alive"));
        app.MapGet("/readyz", (RouteTableCache cache) => cache.Ready
            ? Results.Ok(new { version = cache.Current.Table.Version, rooms = cache.Current.Table.Rooms.Length })
            : Results.Problem("Not synchronised with the route computer yet.", statusCode: StatusCodes.Status503ServiceUnavailable));
        return app;
    }

    /// <summary>
    /// Why a relay's long-poll is refused (no room or credential, a negative since or wait, a room the operator
    /// removed: it learns nothing more of the network), or null. One grain call per long-poll, not per lookup.
    /// </summary>
    private static async Task<IResult?> RelayFetchRefusalAsync(string what, string counted, HttpRequest request, RoomCredentials credentials, IGrainFactory grains, long? since, double? wait)
    {
        var metrics = request.HttpContext.RequestServices.GetRequiredService<RouterMetrics>();
        var room = request.Headers[RoomHeader].ToString();
        if (!RoomId.IsValid(room) || !credentials.Verify(room, Bearer(request)))
        {
            metrics.Refused(counted, "credential");
            return Results.Problem($"{what} need a room ({RoomHeader}) and its credential.", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (since < 0 || wait is < 0 || double.IsNaN(wait ?? 0))
        {
            return Results.Problem("since and wait must not be negative.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (await grains.GetGrain<IRoomGrain>(room).IsRemoved().ConfigureAwait(false))
        {
            metrics.Refused(counted, "removed");
            return Results.Problem($"Room {room} was removed by the operator; PUT /v1/rooms/{room} admits it again.", statusCode: StatusCodes.Status403Forbidden);
        }

        return null;
    }

    private static async Task<IResult> Done(Task change)
    {
        await change.ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>Why an operator's request is refused (not a room id, no operator token configured, or not it), or null.</summary>
    private static IResult? OperatorRefusal(string room, HttpRequest request, Routing.RouterOptions options)
    {
        if (!RoomId.IsValid(room))
        {
            return Results.Problem($"'{room}' is not a room id.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (options.OperatorToken.Length == 0)
        {
            return Results.Problem("No operator token is configured (Router:OperatorTokenFile): rooms cannot be removed or admitted through the API.", statusCode: StatusCodes.Status403Forbidden);
        }

        var presented = System.Text.Encoding.UTF8.GetBytes(Bearer(request) ?? string.Empty);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(presented, System.Text.Encoding.UTF8.GetBytes(options.OperatorToken))
            ? null
            : Results.Problem("Removing or admitting a room needs the operator token.", statusCode: StatusCodes.Status401Unauthorized);
    }

    /// <summary>The bearer credential or token a request carries; null without one.</summary>
    /// <summary>A path lookup's answer and its outcome for the metrics (found, no-path, refused, limited).</summary>
    private static (IResult Result, string Outcome) LookUp(string from, string to, HttpContext context, RouteTableCache cache, PathLookupLimit limit, PathLookupTokens tokens)
    {
        if (!limit.TryAcquire(context.Connection.RemoteIpAddress))
        {
            context.Response.Headers.RetryAfter = "1";
            return (Results.Problem($"More than {limit.PerSecond} path lookups in a second from this address.", statusCode: StatusCodes.Status429TooManyRequests), "limited");
        }

        if (!RoomId.IsValid(from) || !RoomId.IsValid(to))
        {
            return (Results.Problem("Both rooms must be room ids.", statusCode: StatusCodes.Status400BadRequest), "refused");
        }

        if (tokens.Required && tokens.Refusal(Bearer(context.Request), from) is { } refusal)
        {
            return (Results.Problem(refusal, statusCode: StatusCodes.Status401Unauthorized), "refused");
        }

        return PathLookup.Find(cache.Current, new RoomId(from), new RoomId(to), EntryNode.NextDraw()) is { } answer
            ? (Results.Json(answer, RouterJsonContext.Default.PathAnswer), "found")
            : (Results.Problem($"No path from {from} to {to} in table version {cache.Current.Table.Version} (unknown room, or no route).", statusCode: StatusCodes.Status404NotFound), "no-path");
    }

    internal static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }
}
