using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Msdn.Graph.Topology;
using Msdn.Router.Grains;
using Msdn.Router.Rooms;
using Orleans;

namespace Msdn.Router.Api;

/// <summary>
/// <c>POST /v1/rooms/{room}/reports</c>: a relay's batch of link estimates (and its status), authenticated with its
/// room's credential, taken by the room's grain; every answer is counted and timed (<see cref="RouterMetrics.Report"/>).
/// </summary>
public static class ReportEndpoint
{
    public static IEndpointRouteBuilder MapReportApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/v1/rooms/{room}/reports", async (string room, HttpRequest request, RoomCredentials credentials, IGrainFactory grains, RouterMetrics metrics, TimeProvider time) =>
        {
            var arrived = time.GetTimestamp();
            var answer = await ReportAsync(room, request, credentials, grains, metrics).ConfigureAwait(false);
            metrics.Report(answer.Format, answer.Amendment, answer.Outcome, answer.Bytes, time.GetElapsedTime(arrived));
            return answer.Result;
        }).RequireRateLimiting(RouterRateLimits.Reports);
        return app;
    }

    /// <summary>The answer, and what the metrics count of it (<paramref name="Bytes"/>: the body as read; 0 when refused before reading).</summary>
    private sealed record Answer(IResult Result, string Format, bool Amendment, string Outcome, long Bytes = 0);

    private static async Task<Answer> ReportAsync(string room, HttpRequest request, RoomCredentials credentials, IGrainFactory grains, RouterMetrics metrics)
    {
        var messagePack = request.ContentType?.StartsWith(RouterEndpoints.MessagePackType, StringComparison.OrdinalIgnoreCase) == true;
        var format = messagePack ? "msgpack" : "json";
        Answer Refused(string problem, int status) => new(Results.Problem(problem, statusCode: status), format, false, "refused");
        if (!RoomId.IsValid(room))
        {
            metrics.Refused("report", "not-a-room");
            return Refused($"'{room}' is not a room id.", StatusCodes.Status400BadRequest);
        }

        if (!credentials.Verify(room, RouterEndpoints.Bearer(request)))
        {
            metrics.Refused("report", "credential");
            return Refused($"No valid credential for room {room}.", StatusCodes.Status401Unauthorized);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = ReportValidator.MaxBodyBytes;
        }

        RoomReport? report;
        long bytes;
        try
        {
            (report, bytes) = await ReportCodec.ReadAsync(request, messagePack).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or MessagePack.MessagePackSerializationException or InvalidDataException)
        {
            return Refused($"The body is not a report: {e.Message}", StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException e)
        {
            // Too large, or the body ended early: the sender's fault, answered, not an error of ours.
            return Refused($"The body could not be read: {e.Message} (a report may have at most {ReportValidator.MaxBodyBytes} bytes).", e.StatusCode);
        }

        var problems = ReportValidator.Problems(room, report);
        if (problems.Count > 0)
        {
            metrics.Refused("report", "invalid");
            return Refused(string.Join("; ", problems), StatusCodes.Status400BadRequest) with { Bytes = bytes };
        }

        var amendment = report!.Since is not null;
        var outcome = await grains.GetGrain<IRoomGrain>(room).Report(report).ConfigureAwait(false);
        if (outcome.Removed || outcome.RelayRemoved || outcome.Conflict is not null)
        {
            metrics.Refused("report", outcome.Removed ? "removed" : outcome.RelayRemoved ? "relay removed" : "conflict");
        }

        return outcome.Removed
            ? new(Results.Problem($"Room {room} was removed by the operator; PUT /v1/rooms/{room} admits it again.", statusCode: StatusCodes.Status403Forbidden), format, amendment, "refused", bytes)
            : outcome.RelayRemoved
            ? new(Results.Problem($"The relay at {report.RelayEndpoint} was removed from room {room} by the operator; PUT /v1/rooms/{room} admits its removed relays again.", statusCode: StatusCodes.Status403Forbidden), format, amendment, "refused", bytes)
            : outcome.FullWanted
            ? new(Results.Problem($"This report amends report {report.Since}, which the controller does not hold for room {room}: send every link (a report without since).", statusCode: StatusCodes.Status412PreconditionFailed), format, amendment, "full-wanted", bytes)
            : outcome.Conflict is { } conflict
            ? new(Results.Problem(conflict, statusCode: StatusCodes.Status409Conflict), format, amendment, "refused", bytes)
            : new(Results.Json(new ReportReceipt(outcome.UnknownPeers, outcome.RoomLoad), RouterJsonContext.Default.ReportReceipt, statusCode: StatusCodes.Status202Accepted), format, amendment, "taken", bytes);
    }
}
