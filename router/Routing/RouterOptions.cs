namespace Msdn.Router.Routing;

/// <summary>Route computation settings (section <c>Router</c>).</summary>
public sealed class RouterOptions
{
    public const string SectionName = "Router";

    /// <summary>How often routes are recomputed from the rooms' latest reports (and at once on a down event).</summary>
    public TimeSpan RecomputeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Threads one route computation may use. Default: every core but one, which is left to the API, so reports are
    /// answered as promptly while a table is computed (at 500 rooms a table is 100–250 ms of one core).
    /// </summary>
    public int ComputeThreads { get; set; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>A room silent this long is flagged stale.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A room silent this long is unreachable: its links leave the graph.</summary>
    public TimeSpan UnreachableAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How many relays one room may run (each joins with the room's credential at its own endpoint). A relay
    /// beyond it is refused until one of them has been silent past <see cref="UnreachableAfter"/> or is removed.
    /// </summary>
    public int MaxRelaysPerRoom { get; set; } = 16;

    /// <summary>
    /// A controller that starts with no table of its own (first start, or its storage was lost) publishes its
    /// first one this long after starting, once the rooms have had time to report: a table computed from the
    /// first few reports would lack most rooms, and relays would adopt it. A persisted table is served at
    /// once instead (and recomputed after <see cref="StaleAfter"/>).
    /// </summary>
    public TimeSpan FirstTableAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the route computer stores its table (megabytes at hundreds of rooms), at most; and when it stops.
    /// Every version's number is stored at once, so a restored table is numbered past every version served.
    /// </summary>
    public TimeSpan TablePersistInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many past tables each silo keeps to answer <c>since</c> with a diff.</summary>
    public int DiffHistory { get; set; } = 16;

    /// <summary>
    /// The key relays' per-room credentials derive from (base64, ≥ 32 bytes): a room's credential is
    /// base64url(HMAC-SHA256(key, "room:" + room)). Set it through <see cref="ReportKeyFile"/> or the
    /// environment (Router__ReportKey), never the command line. Empty: a key is generated at start and
    /// written to a file only its owner can read (development only).
    /// </summary>
    public string ReportKey { get; set; } = string.Empty;

    /// <summary>A file holding <see cref="ReportKey"/> (readable by its owner only).</summary>
    public string? ReportKeyFile { get; set; }

    /// <summary>Membership and grain storage in Redis (a StackExchange.Redis connection string); empty: one local silo, in-memory storage.</summary>
    public string? Redis { get; set; }

    /// <summary>The cluster this silo joins (silos with the same Redis and id form one cluster).</summary>
    public string ClusterId { get; set; } = "msdn";

    /// <summary>The address other silos reach this one at.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>This silo's Orleans port for silo-to-silo traffic (Orleans binds the port it is told: it cannot take 0).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>This silo's Orleans client gateway; 0: none (the API runs in the silo, so nothing here needs one).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// A PEM file (certificate and private key, readable by its owner only) every silo of the cluster presents:
    /// when set, silo-to-silo and gateway connections use TLS 1.3 and accept only peers presenting this
    /// certificate or one in <see cref="ClusterTrustedFingerprints"/> (see <c>ClusterTls</c>). Set it whenever the
    /// cluster spans hosts.
    /// </summary>
    public string? ClusterCertificateFile { get; set; }

    /// <summary>SHA-256 fingerprints (hex, colons allowed) of further silo certificates to accept: the next certificate, while rotating.</summary>
    public IList<string> ClusterTrustedFingerprints { get; } = [];

    /// <summary>
    /// The token operators present (<c>Authorization: Bearer</c>) to remove a room (<c>DELETE /v1/rooms/{room}</c>)
    /// or admit it again (<c>PUT</c>); at least 16 characters. Set it through <see cref="OperatorTokenFile"/> or the
    /// environment (Router__OperatorToken). Empty: rooms cannot be removed through the API.
    /// </summary>
    public string OperatorToken { get; set; } = string.Empty;

    /// <summary>A file holding <see cref="OperatorToken"/> (readable by its owner only).</summary>
    public string? OperatorTokenFile { get; set; }

    /// <summary>
    /// A PEM file (the CA certificate and its private key, readable by its owner only) whose key signs relays'
    /// certificates (<c>POST /v1/rooms/{room}/certificate</c>); every silo of a cluster needs the same one.
    /// Unset: a single controller creates its own CA in <see cref="DataDirectory"/> at first start; a clustered
    /// one (with <see cref="Redis"/>) signs nothing, and relays register self-signed certificates.
    /// </summary>
    public string? ClusterCaFile { get; set; }

    /// <summary>What the controller keeps on its own disk: the cluster CA it created (owner-only).</summary>
    public string DataDirectory { get; set; } = "router-data";

    /// <summary>How long a relay certificate the cluster CA signs is valid; relays renew at two thirds of it.</summary>
    public TimeSpan RelayCertificateLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Where the HTTP API listens.</summary>
    public string Listen { get; set; } = "127.0.0.1:8080";

    /// <summary>The key media tokens are signed with (base64, ≥ 32 bytes, the relays' Relay:MediaTokenKey); when set, path lookups need a token for their starting room.</summary>
    public string? MediaTokenKey { get; set; }

    /// <summary>A file holding <see cref="MediaTokenKey"/> (readable by its owner only).</summary>
    public string? MediaTokenKeyFile { get; set; }

    /// <summary>Path lookups one client address may make per second before it gets 429.</summary>
    public int PathLookupsPerSecondPerClient { get; set; } = 100_000;

    /// <summary>Reports a room may send per second before it gets 429.</summary>
    public int ReportsPerSecondPerRoom { get; set; } = 20;

}
