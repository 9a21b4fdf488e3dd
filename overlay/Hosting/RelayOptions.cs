namespace Msdn.Overlay.Hosting;

/// <summary>
/// Relay settings (section <c>Relay</c>; the command line maps <c>--room</c>, <c>--controller</c>, <c>--listen</c>,
/// <c>--data-dir</c>, <c>--routes</c>, <c>--transport</c>, <c>--client-listen</c>, <c>--admin</c>, <c>--forward</c>, <c>--deliver</c>).
/// </summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>This relay's room.</summary>
    public string Room { get; set; } = string.Empty;

    /// <summary>The controller's base URL (reports out, route tables in); optional until the controller runs.</summary>
    public string? Controller { get; set; }

    /// <summary>
    /// This room's credential at the controller (from the operator: base64url HMAC of the room under the
    /// controller's report key); required with <see cref="Controller"/>. Set it through
    /// <see cref="ControllerCredentialFile"/> or the environment (Relay__ControllerCredential), never the command line.
    /// </summary>
    public string? ControllerCredential { get; set; }

    /// <summary>A file holding <see cref="ControllerCredential"/> (readable by its owner only).</summary>
    public string? ControllerCredentialFile { get; set; }

    /// <summary>How often the relay reports to the controller (and at once when a link goes down or up).</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a report carries every link rather than only the news (staggered ±25 %). Not what keeps the
    /// controller right (a report amends a numbered one, and one the controller lacks is answered with a request
    /// for everything): a guard against whatever was missed anyway.
    /// </summary>
    public TimeSpan ReportRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Where peer relays reach this one (host:port), as reported to the controller; the bound listen address when empty.</summary>
    public string? Advertise { get; set; }

    /// <summary>A flow's path with unacknowledged data and no ack progress for this long is broken: the flow fails over.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Bytes of a flow its subscriber may leave unread here before the sender is asked to hold (see docs/relay.md).</summary>
    public long EgressHoldBytes { get; set; } = new Relay.RelayNodeOptions().EgressHoldBytes;

    /// <summary>How long a subscriber may stay behind (or take nothing while data waits) before its flow is ended and its sender told.</summary>
    public TimeSpan SlowSubscriberTimeout { get; set; } = new Relay.RelayNodeOptions().SlowSubscriberTimeout;

    /// <summary>How long a flow arriving here may go with no path carrying it (its ingress relay died) before it is ended as cut off.</summary>
    public TimeSpan OrphanFlowTimeout { get; set; } = new Relay.RelayNodeOptions().OrphanFlowTimeout;

    /// <summary>How long a draining relay lets its media engines' flows run on before they are moved to a sibling relay of the room (see docs/relay.md).</summary>
    public TimeSpan DrainTimeout { get; set; } = new Relay.RelayNodeOptions().DrainTimeout;

    /// <summary>How many flows may wait at once for a subscriber of one endpoint before new ones to it are refused.</summary>
    public int MaxUntakenFlowsPerEndpoint { get; set; } = new Relay.RelayNodeOptions().MaxUntakenFlowsPerEndpoint;

    /// <summary>Where peer relays connect (address:port).</summary>
    public string Listen { get; set; } = "0.0.0.0:7500";

    /// <summary>Keeps the development certificate and the last route table (used at start when the controller is unreachable).</summary>
    public string DataDirectory { get; set; } = "relay-data";

    /// <summary>A route table file (MessagePack, as the controller distributes) to start from; it is then persisted.</summary>
    public string? RouteTableFile { get; set; }

    /// <summary>Peer relays: room → host:port.</summary>
    public Dictionary<string, string> Peers { get; set; } = [];

    /// <summary>SHA-256 fingerprints of the peer relays' certificates to trust.</summary>
    public List<string> PinnedFingerprints { get; set; } = [];

    /// <summary>
    /// The controller's cluster CA certificate (PEM, no key), when the operator pins it: the relay then accepts a
    /// signed certificate only from this CA. Unset: the relay trusts the CA its first signed certificate came
    /// with, over its authenticated control link, and keeps it in the data directory.
    /// </summary>
    public string? ClusterCaFile { get; set; }

    /// <summary>
    /// tcp (TCP + TLS 1.3, the default), quic (needs libmsquic), or auto (QUIC where libmsquic is installed, else
    /// TCP). Every relay of an overlay must run the same one; docs/transport.md compares them and says when
    /// QUIC is the better choice.
    /// </summary>
    public string Transport { get; set; } = "tcp";

    /// <summary>Where the room's media engines connect (host:port, plain TCP: keep it on the node or the room's private network); none when empty.</summary>
    public string? ClientListen { get; set; }

    /// <summary>
    /// Media engines' connections the client port holds open at most, and per remote address; past either a
    /// new connection is closed at once. Keep them below the process's descriptor limit (<c>ulimit -n</c>).
    /// </summary>
    public int MaxClientConnections { get; set; } = 4096;

    public int MaxClientConnectionsPerAddress { get; set; } = 256;

    /// <summary>The key media tokens are signed with (base64, at least 32 bytes); required with <see cref="ClientListen"/>.</summary>
    public string? MediaTokenKey { get; set; }

    /// <summary>A file holding <see cref="MediaTokenKey"/> (readable by its owner only).</summary>
    public string? MediaTokenKeyFile { get; set; }

    /// <summary>A file holding the probe agent's <c>Probe:ClusterKey</c> (readable by its owner only).</summary>
    public string? ProbeClusterKeyFile { get; set; }

    /// <summary>The admin and metrics HTTP endpoint (host:port; /health, /metrics, /admin/...); none when empty.</summary>
    public string? Admin { get; set; } = "127.0.0.1:7580";

    /// <summary>
    /// A file holding the admin token (readable by its owner only): changes through the admin endpoint
    /// (drain, serve, link impairments) need it as a bearer credential, and are refused without it.
    /// </summary>
    public string? AdminTokenFile { get; set; }

    /// <summary>What this relay is sized for (<c>Relay:Capacity:Flows</c>, <c>BytesPerSecond</c>, <c>Cpu</c>, <c>MemoryMiB</c>): its reported load is measured against it.</summary>
    public Load.RelayCapacity Capacity { get; set; } = new();

    /// <summary>Gateway ingress: comma-separated <c>listen-host:port=room/endpoint</c>; each connection becomes a flow.</summary>
    public string? Forward { get; set; }

    /// <summary>Gateway egress: comma-separated <c>endpoint=host:port</c>; each arriving flow is written to a new connection.</summary>
    public string? Deliver { get; set; }

    public IEnumerable<Gateway.ForwardRule> ForwardRules() => Rules(Forward, (string t, out Gateway.ForwardRule? r, out string e) => Gateway.ForwardRule.TryParse(t, out r, out e));

    public IEnumerable<Gateway.DeliverRule> DeliverRules() => Rules(Deliver, (string t, out Gateway.DeliverRule? r, out string e) => Gateway.DeliverRule.TryParse(t, out r, out e));

    internal delegate bool RuleParser<T>(string text, out T? rule, out string error);

    internal static IEnumerable<T> Rules<T>(string? list, RuleParser<T> parse)
        where T : class
    {
        foreach (var text in (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return parse(text, out var rule, out var error) ? rule! : throw new FormatException(error);
        }
    }
}
