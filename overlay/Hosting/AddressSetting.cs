using System.Net;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Parses an address setting strictly as <c>address:port</c> (<c>[v6]:port</c> for IPv6). <see cref="IPEndPoint.TryParse(string, out IPEndPoint)"/>
/// alone takes a bare number such as <c>7500</c> as an IPv4 address (0.0.29.76) with no port, which then
/// fails to bind with an error naming neither the setting nor the value.
/// </summary>
internal static class AddressSetting
{
    public static bool TryParse(string? text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text, out var parsed))
        {
            return false;
        }

        var portSeparator = text.StartsWith('[') ? text.IndexOf("]:", StringComparison.Ordinal) : (text.Count(c => c == ':') == 1 ? text.IndexOf(':', StringComparison.Ordinal) : -1);
        if (portSeparator < 0)
        {
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
