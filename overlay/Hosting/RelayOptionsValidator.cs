using System.Net;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Hosting;

/// <summary>Checks relay settings at start-up; every message names the setting.</summary>
public sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string setting, string problem) => failures.Add($"{RelayOptions.SectionName}:{setting} {problem}");

        if (!RoomId.IsValid(options.Room))
        {
            Fail(nameof(options.Room), $"(--room) must be a room id, got '{options.Room}'.");
        }

        if (options.Controller is { Length: > 0 } controller
            && !(Uri.TryCreate(controller, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            Fail(nameof(options.Controller), $"(--controller) must be an absolute http(s) URL, got '{controller}'.");
        }

        if (!IPEndPoint.TryParse(options.Listen ?? string.Empty, out _))
        {
            Fail(nameof(options.Listen), $"(--listen) must be address:port, got '{options.Listen}'.");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            Fail(nameof(options.DataDirectory), "(--data-dir) must be a directory path.");
        }

        if (options.RouteTableFile is { Length: > 0 } file && !File.Exists(file))
        {
            Fail(nameof(options.RouteTableFile), $"(--routes) names a file that does not exist: '{file}'.");
        }

        foreach (var (room, endpoint) in options.Peers ?? [])
        {
            if (!RoomId.IsValid(room) || !EndpointParser.TryParse(endpoint, out _))
            {
                Fail($"Peers:{room}", $"must map a room id to host:port, got '{room}' = '{endpoint}'.");
            }
        }

        if (options.Transport is not ("auto" or "quic" or "tcp"))
        {
            Fail(nameof(options.Transport), $"must be auto, quic or tcp, got '{options.Transport}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
