using MessagePack;

namespace Msdn.Overlay.Control;

/// <summary>
/// The body of <c>POST /v1/rooms/{room}/reports</c>: the relay's status and its probe agent's links, sent as
/// MessagePack by key (the controller reads it far cheaper than JSON at hundreds of reports a second). With
/// <see cref="Since"/>, only the news since that report (<see cref="ReportNews{TKey}"/>): the links it lists replace
/// the controller's, the peers in <see cref="Gone"/> are measured no more, and every other link holds.
/// </summary>
[MessagePackObject]
public sealed record RelayReportBody(
    [property: Key(0)] string RelayEndpoint,
    [property: Key(1)] string RelayState,
    [property: Key(2)] IReadOnlyList<LinkEstimateBody> Links,
    [property: Key(3)] string? ClientEndpoint,
    [property: Key(4)] string? CertificateFingerprint = null,
    [property: Key(5)] string? ProbeEndpoint = null,
    [property: Key(6)] long Sequence = 0,
    [property: Key(7)] long? Since = null,
    [property: Key(8)] IReadOnlyList<string>? Gone = null,
    [property: Key(9)] RelayLoadBody? Load = null);

/// <summary>The relay's load over the last report interval (<see cref="Load.RelayLoad"/>), in every report.</summary>
[MessagePackObject]
public sealed record RelayLoadBody(
    [property: Key(0)] int Flows,
    [property: Key(1)] double BytesInPerSecond,
    [property: Key(2)] double BytesOutPerSecond,
    [property: Key(3)] double UnitsInPerSecond,
    [property: Key(4)] double UnitsOutPerSecond,
    [property: Key(5)] double Cpu,
    [property: Key(6)] long MemoryBytes,
    [property: Key(7)] double Utilization)
{
    public static RelayLoadBody From(Load.RelayLoad load)
    {
        ArgumentNullException.ThrowIfNull(load);
        return new(load.Flows, load.BytesInPerSecond, load.BytesOutPerSecond, load.UnitsInPerSecond, load.UnitsOutPerSecond, load.Cpu, load.MemoryBytes, load.Utilization);
    }
}

/// <summary>The controller's answer to a report it took: links naming rooms it never heard from, and the load of the relay's room across its relays.</summary>
public sealed record ReportReceiptBody(int UnknownPeers, double? RoomLoad = null);

/// <summary>One link estimate in a report.</summary>
[MessagePackObject]
public sealed record LinkEstimateBody(
    [property: Key(0)] string Peer,
    [property: Key(1)] double RttMs,
    [property: Key(2)] double JitterMs,
    [property: Key(3)] double Loss,
    [property: Key(4)] bool Up,
    [property: Key(5)] double? ForwardLoss = null);

/// <summary>One room in the controller's directory (<c>GET /v1/directory</c>, JSON): its representative relay, and every relay of a room of several (<see cref="Nodes"/>).</summary>
public sealed record DirectoryEntryBody(string Room, string RelayEndpoint, string? ClientEndpoint, string? CertificateFingerprint, long Version, string? ProbeEndpoint = null, IReadOnlyList<DirectoryNodeBody>? Nodes = null);

/// <summary>One relay of a room of several, in the directory; <see cref="LoadBand"/>: its load in coarse bands (<see cref="Msdn.Graph.Topology.HeadroomBand"/>).</summary>
public sealed record DirectoryNodeBody(string RelayEndpoint, string? ClientEndpoint, string? CertificateFingerprint, string? ProbeEndpoint, string RelayState, int LoadBand = 0);

/// <summary>The directory at <see cref="Version"/>: every entry (<see cref="Full"/>), or what changed and who left since the version asked about.</summary>
public sealed record DirectoryAnswerBody(long Version, bool Full, DirectoryEntryBody[] Entries, string[] Removed);

/// <summary>Compile-time JSON for the directory and report receipts (the relay's only JSON from the controller).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DirectoryAnswerBody))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ReportReceiptBody))]
internal sealed partial class ControlJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
