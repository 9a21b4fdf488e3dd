namespace Msdn.Overlay.Hosting;

/// <summary>Relay settings (section <c>Relay</c>; the command line maps <c>--room</c>, <c>--controller</c>, <c>--listen</c>, <c>--data-dir</c>, <c>--routes</c>).</summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>This relay's room.</summary>
    public string Room { get; set; } = string.Empty;

    /// <summary>The controller's base URL (reports out, route tables in); optional until the controller runs.</summary>
    public string? Controller { get; set; }

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

    /// <summary>quic, tcp, or auto (QUIC where supported, else TCP + TLS).</summary>
    public string Transport { get; set; } = "auto";
}
