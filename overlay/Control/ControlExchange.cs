using System.Net;
using System.Net.Http.Headers;
using MessagePack;

namespace Msdn.Overlay.Control;

/// <summary>
/// The HTTP exchanges of the control link, written once and sent either directly or through a
/// tunnel: how a request is built and how its answer is read.
/// </summary>
internal static class ControlExchange
{
    public const string RoomHeader = "X-Msdn-Room";
    public const string MessagePackType = "application/x-msgpack";

    public static HttpRequestMessage Report(string room, string credential, RelayReportBody body)
    {
        var content = new ByteArrayContent(MessagePackSerializer.Serialize(body));
        content.Headers.ContentType = new MediaTypeHeaderValue(MessagePackType);
        var request = new HttpRequestMessage(HttpMethod.Post, $"v1/rooms/{Uri.EscapeDataString(room)}/reports") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return request;
    }

    public const string FingerprintHeader = "X-Msdn-Certificate-Fingerprint";

    public static HttpRequestMessage Certificate(string room, string credential, string requestPem, string presentedFingerprint)
    {
        var content = new StringContent(requestPem, System.Text.Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/pkcs10");
        var request = new HttpRequestMessage(HttpMethod.Post, $"v1/rooms/{Uri.EscapeDataString(room)}/certificate") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        request.Headers.Add(FingerprintHeader, presentedFingerprint);
        return request;
    }

    /// <summary>Reads a certificate answer: the chain, none (404: this controller signs none), or a refusal saying why.</summary>
    public static CertificateAnswer ReadCertificate(HttpStatusCode status, byte[] body) => status switch
    {
        HttpStatusCode.OK => new CertificateAnswer(System.Text.Encoding.ASCII.GetString(body)),
        HttpStatusCode.NotFound => new CertificateAnswer(null),
        >= HttpStatusCode.InternalServerError => throw new ControlChannelException($"The controller answered {(int)status}."),
        HttpStatusCode.BadRequest => throw new InvalidOperationException($"The controller refused this relay's certificate request (400): {Detail(body)}"),
        _ => throw new InvalidOperationException(Refusal("certificate request", status)),
    };

    /// <summary>The detail of a problem answer (RFC 9457), or its start.</summary>
    private static string Detail(byte[] body)
    {
        try
        {
            using var problem = System.Text.Json.JsonDocument.Parse(body);
            return problem.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? string.Empty : string.Empty;
        }
        catch (System.Text.Json.JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)));
        }
    }

    /// <param name="destinations">The rooms whose routes from everywhere the relay reads (<see cref="RouteInterest"/>); null: the whole table.</param>
    public static HttpRequestMessage Routes(string room, string credential, long? since, TimeSpan wait, IReadOnlySet<Graph.Topology.RoomId>? destinations)
    {
        var request = LongPoll("v1/routes", room, credential, since, wait);
        if (destinations is not null)
        {
            var to = $"to={Uri.EscapeDataString(string.Join(',', destinations.Select(d => d.Value).Order(StringComparer.Ordinal)))}";
            request.RequestUri = new Uri($"{request.RequestUri}{(since is null ? "?" : "&")}{to}", UriKind.Relative);
        }

        return request;
    }

    public static HttpRequestMessage Directory(string room, string credential, long? since, TimeSpan wait) => LongPoll("v1/directory", room, credential, since, wait);

    /// <summary>A fetch of what changed since a version held (none: the whole thing), waiting for the next when nothing did.</summary>
    private static HttpRequestMessage LongPoll(string path, string room, string credential, long? since, TimeSpan wait)
    {
        var query = since is { } version ? $"?since={version}&wait={wait.TotalSeconds:F0}" : string.Empty;
        var request = new HttpRequestMessage(HttpMethod.Get, $"{path}{query}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        request.Headers.Add(RoomHeader, room);
        return request;
    }

    /// <summary>Reads a directory answer; 304 is "nothing new since <paramref name="since"/>" (an empty diff at that version).</summary>
    public static DirectoryAnswerBody ReadDirectory(HttpStatusCode status, long? since, byte[] body) => status switch
    {
        HttpStatusCode.OK => System.Text.Json.JsonSerializer.Deserialize(body, ControlJsonContext.Default.DirectoryAnswerBody) ?? throw new ControlChannelException("The controller sent an empty directory."),
        HttpStatusCode.NotModified => new DirectoryAnswerBody(since ?? 0, false, [], []),
        >= HttpStatusCode.InternalServerError => throw new ControlChannelException($"The controller answered {(int)status}."),
        _ => throw new InvalidOperationException(Refusal("directory fetch", status)),
    };

    /// <summary>Reads a routes answer; a server error is a <see cref="ControlChannelException"/>, a refusal an <see cref="InvalidOperationException"/>.</summary>
    public static RoutesAnswer ReadRoutes(HttpStatusCode status, string? tableKind, byte[] body) => status switch
    {
        HttpStatusCode.OK => new RoutesAnswer(tableKind == "diff" ? RoutesAnswerKind.Diff : RoutesAnswerKind.Full, body),
        HttpStatusCode.NotModified => new RoutesAnswer(RoutesAnswerKind.NotModified, []),
        HttpStatusCode.Conflict => new RoutesAnswer(RoutesAnswerKind.Restarted, []),
        >= HttpStatusCode.InternalServerError => throw new ControlChannelException($"The controller answered {(int)status}."),
        _ => throw new InvalidOperationException(Refusal("route fetch", status)),
    };

    /// <summary>What a refusal means, for the operator: a wrong credential is not an unreachable controller.</summary>
    private static string Refusal(string what, HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => $"The controller rejected this relay's credential for its {what} ({(int)status}): check Relay:ControllerCredential (--credential-file) against the controller's report key.",
        HttpStatusCode.Forbidden => $"The controller refused this relay's {what} ({(int)status}): its room was removed by the operator, who can admit it again (PUT /v1/rooms/<room>).",
        HttpStatusCode.Conflict => $"The controller refused this relay's {what} ({(int)status}): another relay with another certificate holds this room and is still reporting (two relays started for one room?).",
        HttpStatusCode.TooManyRequests => $"The controller is rate-limiting this relay's {what} ({(int)status}).",
        _ => $"The controller refused the {what} ({(int)status}).",
    };

    /// <summary>What the controller did with a report; a server error is a <see cref="ControlChannelException"/>, a refusal an <see cref="InvalidOperationException"/>.</summary>
    public static ReportReply ReadReport(HttpStatusCode status, ReadOnlySpan<byte> body)
    {
        if (status >= HttpStatusCode.InternalServerError)
        {
            throw new ControlChannelException($"The controller answered {(int)status}.");
        }

        return status switch
        {
            HttpStatusCode.TooManyRequests => new(ReportReception.Throttled, null),
            HttpStatusCode.PreconditionFailed => new(ReportReception.FullWanted, null),
            _ when (int)status >= 400 => throw new InvalidOperationException(Refusal("report", status)),
            _ => new(ReportReception.Taken, RoomLoad(body)),
        };
    }

    /// <summary>The room's load from a receipt; none from a controller that does not say (or says nonsense: it is only advice).</summary>
    private static double? RoomLoad(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(body, ControlJsonContext.Default.ReportReceiptBody)?.RoomLoad is { } load && double.IsFinite(load) && load >= 0 ? load : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>What the controller did with a report, and the room's load it answered with, if any.</summary>
public readonly record struct ReportReply(ReportReception Reception, double? RoomLoad);

/// <summary>What the controller did with a report (<see cref="NotSent"/>: nothing got through).</summary>
public enum ReportReception
{
    NotSent,
    Taken,

    /// <summary>Rate-limited: not taken, the controller holds what it held.</summary>
    Throttled,

    /// <summary>It amended a report the controller does not hold: send every link.</summary>
    FullWanted,
}

/// <summary>An HTTP request carried through a peer relay's control tunnel.</summary>
[MessagePackObject]
public sealed record TunnelRequest(
    [property: Key(0)] string Method,
    [property: Key(1)] string PathAndQuery,
    [property: Key(2)] Dictionary<string, string> Headers,
    [property: Key(3)] byte[] Body,
    [property: Key(4)] string? ContentType);

/// <summary>The controller's answer, carried back through the tunnel.</summary>
[MessagePackObject]
public sealed record TunnelResponse(
    [property: Key(0)] int Status,
    [property: Key(1)] Dictionary<string, string> Headers,
    [property: Key(2)] byte[] Body);
