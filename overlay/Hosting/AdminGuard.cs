using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// What the admin endpoint lets in. A browser on the node must not reach it on a stranger's behalf: a
/// request naming a host that is not an IP address or localhost (DNS rebinding) is refused, and so is one
/// whose Origin is another site (a cross-site form or script). A change (any method but GET and HEAD)
/// needs the admin token (<c>Relay:AdminTokenFile</c>) as a bearer credential; without a configured token
/// changes are refused.
/// </summary>
internal sealed class AdminGuard(string? token)
{
    private readonly byte[]? _token = token is { Length: > 0 } ? Encoding.UTF8.GetBytes(token) : null;

    /// <summary>Null to let the request through; else the status and reason to refuse it with.</summary>
    public (int Status, string Reason)? Refusal(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var host = request.Host.Host;
        if (!IPAddress.TryParse(host, out _) && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status403Forbidden, $"The admin endpoint answers requests for an IP address or localhost, not '{host}'.");
        }

        if (request.Headers.Origin is { Count: > 0 } origin && !string.Equals(origin.ToString(), $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status403Forbidden, "Cross-origin requests to the admin endpoint are refused.");
        }

        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return null;
        }

        if (_token is null)
        {
            return (StatusCodes.Status403Forbidden, "Changes through the admin endpoint need Relay:AdminTokenFile to be set (a file readable by its owner only).");
        }

        var header = request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()) : [];
        return CryptographicOperations.FixedTimeEquals(presented, _token)
            ? null
            : (StatusCodes.Status401Unauthorized, "Changes through the admin endpoint need its token: Authorization: Bearer <the contents of Relay:AdminTokenFile>.");
    }
}
