using System.Net;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Hosting;

/// <summary>Checks relay settings at start-up; every message names the setting.</summary>
internal sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    private static bool IsTokenKey(string? key)
    {
        var bytes = new byte[1024];
        return key is { Length: > 0 } && Convert.TryFromBase64String(key, bytes, out var length) && length >= Tokens.MediaTokens.MinimumKeyLength;
    }

    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string setting, string problem) => failures.Add($"{RelayOptions.SectionName}:{setting} {problem}");
        void CheckRules<T>(string setting, string flag, string? list, RelayOptions.RuleParser<T> parse)
            where T : class
        {
            foreach (var text in (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!parse(text, out _, out var error))
                {
                    Fail(setting, $"({flag}) {error}");
                }
            }
        }


        if (!RoomId.IsValid(options.Room))
        {
            Fail(nameof(options.Room), $"(--room) must be a room id, got '{options.Room}'.");
        }

        if (options.Controller is { Length: > 0 } controller
            && !(Uri.TryCreate(controller, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            Fail(nameof(options.Controller), $"(--controller) must be an absolute http(s) URL, got '{controller}'.");
        }

        foreach (var (setting, secretFile) in new[] { (nameof(options.ControllerCredentialFile), options.ControllerCredentialFile), (nameof(options.MediaTokenKeyFile), options.MediaTokenKeyFile), (nameof(options.ProbeClusterKeyFile), options.ProbeClusterKeyFile), (nameof(options.AdminTokenFile), options.AdminTokenFile) })
        {
            if (secretFile is { Length: > 0 } && !Tokens.SecretFile.TryRead(secretFile, out _, out var problem))
            {
                Fail(setting, $"{problem}.");
            }
        }

        if (options.Controller is { Length: > 0 } && string.IsNullOrWhiteSpace(options.ControllerCredential))
        {
            Fail(nameof(options.ControllerCredential), "is required with Relay:Controller (the room's credential, from the controller's operator: Relay:ControllerCredentialFile, --credential-file).");
        }

        if (options.ClusterCaFile is { Length: > 0 } caFile && ClusterCaProblem(caFile) is { } caProblem)
        {
            Fail(nameof(options.ClusterCaFile), $"(--cluster-ca-file) {caProblem}.");
        }

        if (options.AckTimeout <= TimeSpan.Zero)
        {
            Fail(nameof(options.AckTimeout), $"must be positive, got {options.AckTimeout}.");
        }

        if (options.EgressHoldBytes < 64 * 1024)
        {
            Fail(nameof(options.EgressHoldBytes), $"must be at least 65536 (a few chunks), got {options.EgressHoldBytes}.");
        }

        if (options.SlowSubscriberTimeout <= TimeSpan.Zero)
        {
            Fail(nameof(options.SlowSubscriberTimeout), $"must be positive, got {options.SlowSubscriberTimeout}.");
        }

        var noRouteGrace = new Relay.RelayNodeOptions().NoRouteGrace;
        if (options.OrphanFlowTimeout <= noRouteGrace)
        {
            Fail(nameof(options.OrphanFlowTimeout), $"must be longer than the ingress's no-route patience ({noRouteGrace.TotalSeconds:F0} s), or flows waiting out a partition would be ended under it; got {options.OrphanFlowTimeout}.");
        }

        if (options.DrainTimeout <= TimeSpan.Zero)
        {
            Fail(nameof(options.DrainTimeout), $"must be positive (how long a draining relay's flows run on before they move to a sibling), got {options.DrainTimeout}.");
        }

        if (options.MaxUntakenFlowsPerEndpoint < 1)
        {
            Fail(nameof(options.MaxUntakenFlowsPerEndpoint), $"must be at least 1, got {options.MaxUntakenFlowsPerEndpoint}.");
        }

        if (options.ReportInterval <= TimeSpan.Zero)
        {
            Fail(nameof(options.ReportInterval), $"must be positive, got {options.ReportInterval}.");
        }

        if (options.ReportRefreshInterval < options.ReportInterval)
        {
            Fail(nameof(options.ReportRefreshInterval), $"must be at least ReportInterval ({options.ReportInterval}), got {options.ReportRefreshInterval}.");
        }

        if (!AddressSetting.TryParse(options.Listen, out var listen))
        {
            Fail(nameof(options.Listen), $"(--listen) must be address:port, got '{options.Listen}'.");
        }
        else if (listen.Port == IPEndPoint.MaxPort)
        {
            Fail(nameof(options.Listen), $"(--listen) must leave the next port for the relay's probes (UDP, port + 1), got '{options.Listen}'.");
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
            Fail(nameof(options.Transport), $"(--transport) must be tcp, quic or auto, got '{options.Transport}'.");
        }
        else if (options.Transport == "quic" && !Transport.QuicAvailability.IsSupported)
        {
            Fail(nameof(options.Transport), "(--transport) is quic, but QUIC is not supported here: System.Net.Quic needs libmsquic (Microsoft's package repository, see docs/transport.md).");
        }

        if (options.ClientListen is { Length: > 0 } clientListen)
        {
            if (!AddressSetting.TryParse(clientListen, out _))
            {
                Fail(nameof(options.ClientListen), $"(--client-listen) must be address:port, got '{clientListen}'.");
            }

            if (!IsTokenKey(options.MediaTokenKey))
            {
                Fail(nameof(options.MediaTokenKey), $"must be base64 of at least {Tokens.MediaTokens.MinimumKeyLength} bytes when Relay:ClientListen is set.");
            }
        }

        if (options.Capacity is not { Flows: >= 1, BytesPerSecond: >= 1, MemoryMiB: >= 1 } capacity || !(double.IsFinite(capacity.Cpu) && capacity.Cpu > 0))
        {
            var c = options.Capacity;
            Fail(nameof(options.Capacity), $"must have Flows, BytesPerSecond, Cpu and MemoryMiB above 0; got Flows {c?.Flows}, BytesPerSecond {c?.BytesPerSecond}, Cpu {c?.Cpu}, MemoryMiB {c?.MemoryMiB}.");
        }

        if (options.MaxClientConnections < 1 || options.MaxClientConnectionsPerAddress < 1 || options.MaxClientConnectionsPerAddress > options.MaxClientConnections)
        {
            Fail(nameof(options.MaxClientConnections), $"and MaxClientConnectionsPerAddress must be at least 1, the latter at most the former; got {options.MaxClientConnections} and {options.MaxClientConnectionsPerAddress}.");
        }

        if (options.Admin is { Length: > 0 } admin && !AddressSetting.TryParse(admin, out _))
        {
            Fail(nameof(options.Admin), $"(--admin) must be address:port, got '{admin}'.");
        }

        CheckRules(nameof(options.Forward), "--forward", options.Forward, (string t, out Gateway.ForwardRule? r, out string e) => Gateway.ForwardRule.TryParse(t, out r, out e));
        CheckRules(nameof(options.Deliver), "--deliver", options.Deliver, (string t, out Gateway.DeliverRule? r, out string e) => Gateway.DeliverRule.TryParse(t, out r, out e));

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why the file is not a CA certificate in PEM, or null when it is.</summary>
    private static string? ClusterCaProblem(string path)
    {
        try
        {
            using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(path));
            return ca.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true }
                ? null
                : $"{path} holds a certificate that is not a CA (the controller's GET /v1/ca answers the right one)";
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"{path} is not a readable PEM certificate: {e.Message}";
        }
    }
}
