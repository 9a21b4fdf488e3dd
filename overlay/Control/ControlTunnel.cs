using System.Net.Http.Headers;
using MessagePack;

namespace Msdn.Overlay.Control;

/// <summary>
/// How a relay carries a peer's control exchange to the controller: only the control API's requests
/// (reports, certificate requests, route and directory fetches) pass (never an open proxy), with the peer's own credential, which the controller checks.
/// </summary>
internal static class ControlTunnel
{
    /// <summary>Requests and answers travel in pieces this large (a route table can exceed one frame).</summary>
    public const int PieceBytes = 256 * 1024;

    /// <summary>A whole request or answer may not exceed this.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    private static readonly string[] ForwardedHeaders = ["Authorization", ControlExchange.RoomHeader, ControlExchange.FingerprintHeader];
    private static readonly string[] ReturnedHeaders = ["X-Msdn-Table", "X-Msdn-Version"];

    internal static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static async Task<TunnelRequest> ToTunnelAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = new Dictionary<string, string>();
        foreach (var name in ForwardedHeaders)
        {
            if (request.Headers.TryGetValues(name, out var values))
            {
                headers[name] = string.Join(',', values);
            }
        }

        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new TunnelRequest(request.Method.Method, request.RequestUri!.OriginalString, headers, body, request.Content?.Headers.ContentType?.ToString());
    }

    /// <summary>Whether a tunnelled request is one of the control API's (a report, a certificate request, a route or directory fetch).</summary>
    public static bool IsAllowed(TunnelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.PathAndQuery;
        return (request.Method == "POST" && path.StartsWith("v1/rooms/", StringComparison.Ordinal) && (path.EndsWith("/reports", StringComparison.Ordinal) || path.EndsWith("/certificate", StringComparison.Ordinal)) && !path.Contains("..", StringComparison.Ordinal))
            || (request.Method == "GET" && (path is "v1/routes" or "v1/directory" || path.StartsWith("v1/routes?", StringComparison.Ordinal) || path.StartsWith("v1/directory?", StringComparison.Ordinal)));
    }

    /// <summary>Sends a tunnelled request to the controller on this relay's connections for what it carries.</summary>
    public static async Task<TunnelResponse> SendAsync(ControlConnections connections, TunnelRequest tunnelled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(tunnelled);
        var controller = connections.ForPath(tunnelled.PathAndQuery);
        using var request = new HttpRequestMessage(new HttpMethod(tunnelled.Method), tunnelled.PathAndQuery);
        foreach (var (name, value) in tunnelled.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (tunnelled.Method == "POST")
        {
            request.Content = new ByteArrayContent(tunnelled.Body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(tunnelled.ContentType ?? "application/json");
        }

        using var response = await controller.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>();
        foreach (var name in ReturnedHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values))
            {
                headers[name] = string.Join(',', values);
            }
        }

        return new TunnelResponse((int)response.StatusCode, headers, await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
    }
}
