using System.Net;

namespace Msdn.Probe.Agent;

/// <summary>Parses "address:port" (IPv4, [IPv6]) or "host:port" into an endpoint.</summary>
public static class EndpointParser
{
    public static bool TryParse(string? text, out EndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPEndPoint.TryParse(text, out var ip) && ip.Port > 0)
        {
            endpoint = ip;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            return false;
        }

        endpoint = new DnsEndPoint(text[..colon], port);
        return true;
    }
}
