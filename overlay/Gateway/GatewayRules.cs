using System.Diagnostics.CodeAnalysis;
using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Gateway;

/// <summary>A local TCP port whose connections each become a flow to (<see cref="Room"/>, <see cref="Endpoint"/>): <c>127.0.0.1:9000=room-b/camera</c>.</summary>
public sealed record ForwardRule(IPEndPoint Listen, RoomId Room, string Endpoint)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out ForwardRule? rule, out string error)
    {
        rule = null;
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        var target = parts.Length == 2 ? parts[1].Split('/', 2, StringSplitOptions.TrimEntries) : [];
        if (parts.Length != 2 || target.Length != 2 || target[1].Length == 0)
        {
            error = $"'{text}' is not listen-host:port=room/endpoint.";
            return false;
        }

        if (!Hosting.AddressSetting.TryParse(parts[0], out var listen))
        {
            error = $"'{parts[0]}' is not an IP address and port to listen on (address:port, e.g. 127.0.0.1:9000).";
            return false;
        }

        if (!RoomId.IsValid(target[0]))
        {
            error = $"'{target[0]}' is not a valid room id.";
            return false;
        }

        rule = new ForwardRule(listen, new RoomId(target[0]), target[1]);
        error = string.Empty;
        return true;
    }
}

/// <summary>Flows arriving for <see cref="Endpoint"/> are each delivered to a new TCP connection to <see cref="Target"/>: <c>camera=127.0.0.1:9100</c>.</summary>
public sealed record DeliverRule(string Endpoint, EndPoint Target)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out DeliverRule? rule, out string error)
    {
        rule = null;
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Length == 0)
        {
            error = $"'{text}' is not endpoint=host:port.";
            return false;
        }

        if (!EndpointParser.TryParse(parts[1], out var target))
        {
            error = $"'{parts[1]}' is not a host:port to deliver to.";
            return false;
        }

        rule = new DeliverRule(parts[0], target);
        error = string.Empty;
        return true;
    }
}
