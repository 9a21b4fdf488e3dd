using System.Collections.Frozen;
using System.Net;
using System.Text.Json;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;

namespace Msdn.Overlay.Control;

/// <summary>
/// The peer relays this relay knows: the controller's directory (every registered relay's endpoint and
/// certificate fingerprint, followed as it changes), with static configuration (<c>Relay:Peers</c>) as the
/// override for running without a controller. A peer is reached at its directory endpoint unless configured,
/// and trusted when its certificate's fingerprint is in the directory (the controller registered it under
/// its room's credential) or pinned. The last directory is kept on disk beside the route table, so a relay
/// that starts while the controller is unreachable still knows its peers.
/// </summary>
public sealed class PeerDirectory
{
    public const string FileName = "directory.json";

    private readonly RoomId _self;
    private readonly IReadOnlyDictionary<RoomId, EndPoint?> _configured;
    private readonly string? _path;
    private readonly Lock _applying = new();
    private volatile Known _known;

    public PeerDirectory(RoomId self, IReadOnlyDictionary<RoomId, EndPoint?> configured, string? dataDirectory)
    {
        _self = self;
        _configured = configured;
        _path = dataDirectory is null ? null : Path.Combine(dataDirectory, FileName);
        _known = Build(0, []);
    }

    /// <summary>Raised after the directory changed (peers joined, moved, re-keyed or left).</summary>
    public event Action? Changed;

    /// <summary>The version of the controller's directory held (0: none yet).</summary>
    public long Version => _known.Version;

    /// <summary>Every peer: configured ones and the directory's, this relay's own room excluded.</summary>
    public IReadOnlyCollection<RoomId> Peers => _known.Peers;

    /// <summary>Where to reach <paramref name="room"/>'s relay (its representative, when it runs several): configuration first, then the directory.</summary>
    public EndPoint? Resolve(RoomId room) => _configured.TryGetValue(room, out var configured) ? configured : _known.Endpoints.GetValueOrDefault(room);

    /// <summary>
    /// Where to reach each of <paramref name="room"/>'s relays a new flow may use: the configured one, else every serving one
    /// the directory lists (a hop picks among them), or, while none serves, every one it lists.
    /// </summary>
    public IReadOnlyList<EndPoint> ResolveAll(RoomId room) =>
        _configured.TryGetValue(room, out var configured) ? (configured is null ? [] : [configured])
        : _known.Nodes.TryGetValue(room, out var nodes) ? nodes
        : [];

    /// <summary>
    /// What a hop weighs one of a room's relays by when it picks among them: its headroom as the directory last gave it
    /// (<see cref="Msdn.Graph.Topology.HeadroomBand"/>); 1 for a relay the directory gives no load for.
    /// </summary>
    public double WeightOf(EndPoint relay) => _known.Weights.GetValueOrDefault(relay, 1.0);

    /// <summary>
    /// Where to probe <paramref name="room"/>'s relay: beside a configured endpoint (its port + 1), else where the
    /// relay registered its probe agent, else beside its directory endpoint; null for a room not known.
    /// </summary>
    public EndPoint? ProbeEndpointOf(RoomId room) =>
        _configured.TryGetValue(room, out var configured) ? (configured is null ? null : Hosting.ProbePort.Of(configured))
        : _known.Probes.TryGetValue(room, out var probe) ? probe
        : _known.Endpoints.TryGetValue(room, out var relay) ? Hosting.ProbePort.Of(relay)
        : null;

    /// <summary>Where this relay's own room's relays listen (this one included), when the directory lists several; else empty.</summary>
    public IReadOnlyList<EndPoint> OwnRoomRelays() =>
        _known.Entries.TryGetValue(_self.Value, out var entry) && entry.Nodes is { Count: > 1 } nodes
            ? [.. nodes.Select(n => EndpointParser.TryParse(n.RelayEndpoint, out var at) ? at : null).OfType<EndPoint>()]
            : [];

    /// <summary>
    /// Where to probe each of <paramref name="room"/>'s relays (relay endpoint, probe endpoint), for a room of
    /// several in the directory; otherwise the one <see cref="ProbeEndpointOf"/> gives (or none).
    /// </summary>
    public IReadOnlyList<(EndPoint Relay, EndPoint Probe)> ProbeEndpointsOf(RoomId room)
    {
        if (!_configured.ContainsKey(room) && _known.Entries.TryGetValue(room.Value, out var entry) && entry.Nodes is { Count: > 1 } nodes)
        {
            var listed = new List<(EndPoint, EndPoint)>();
            foreach (var node in nodes)
            {
                if (EndpointParser.TryParse(node.RelayEndpoint, out var at))
                {
                    listed.Add((at, node.ProbeEndpoint is { } probeAt && EndpointParser.TryParse(probeAt, out var probe) ? probe : Hosting.ProbePort.Of(at)));
                }
            }

            return listed;
        }

        return Resolve(room) is { } relay && ProbeEndpointOf(room) is { } only ? [(relay, only)] : [];
    }

    /// <summary>Whether <paramref name="room"/> is a peer this relay knows now (configured, or in the directory): a cluster-CA certificate naming it is trusted.</summary>
    public bool Lists(string room) => RoomId.IsValid(room) && (_configured.ContainsKey(new RoomId(room)) || _known.Entries.ContainsKey(room));

    /// <summary>Whether the directory registers a certificate with this SHA-256 fingerprint for one of <paramref name="room"/>'s relays.</summary>
    public bool Registers(string room, string fingerprint) =>
        _known.Entries.TryGetValue(room, out var entry)
        && (string.Equals(entry.CertificateFingerprint, fingerprint, StringComparison.OrdinalIgnoreCase)
            || (entry.Nodes ?? []).Any(n => string.Equals(n.CertificateFingerprint, fingerprint, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether a peer presenting a certificate with this SHA-256 fingerprint (hex, upper case) is a registered relay.</summary>
    public bool Trusts(string fingerprint) => _known.Fingerprints.Contains(fingerprint);

    /// <summary>Takes an answer from the controller (the whole directory, or what changed since <see cref="Version"/>) and keeps it on disk.</summary>
    public void Apply(DirectoryAnswerBody answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        lock (_applying)
        {
            var entries = answer.Full ? new Dictionary<string, DirectoryEntryBody>(StringComparer.Ordinal) : _known.Entries.ToDictionary(StringComparer.Ordinal);
            foreach (var entry in answer.Entries)
            {
                entries[entry.Room] = entry;
            }

            foreach (var room in answer.Removed)
            {
                entries.Remove(room);
            }

            _known = Build(answer.Version, entries);
            if (_path is not null)
            {
                Hosting.DurableFile.Replace(_path, JsonSerializer.SerializeToUtf8Bytes(new DirectoryAnswerBody(answer.Version, true, [.. entries.Values], []), ControlJsonContext.Default.DirectoryAnswerBody));
            }
        }

        Changed?.Invoke();
    }

    /// <summary>Loads the directory kept on disk, if any; a file that cannot be read is reported, and the relay starts from configuration alone.</summary>
    public void LoadPersisted(out string? problem)
    {
        problem = null;
        if (_path is null || !File.Exists(_path))
        {
            return;
        }

        try
        {
            var held = JsonSerializer.Deserialize(File.ReadAllBytes(_path), ControlJsonContext.Default.DirectoryAnswerBody) ?? throw new JsonException("empty");
            lock (_applying)
            {
                _known = Build(held.Version, held.Entries.ToDictionary(e => e.Room, StringComparer.Ordinal));
            }
        }
        catch (Exception e) when (e is JsonException or IOException or ArgumentException)
        {
            problem = e.Message;
        }
    }

    private Known Build(long version, Dictionary<string, DirectoryEntryBody> entries)
    {
        var endpoints = new Dictionary<RoomId, EndPoint>();
        var nodes = new Dictionary<RoomId, EndPoint[]>();
        var weights = new Dictionary<EndPoint, double>();
        var probes = new Dictionary<RoomId, EndPoint>();
        var fingerprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries.Values)
        {
            // An entry that does not parse (the controller checks shapes, not reachability) is left out, not fatal.
            if (!RoomId.IsValid(entry.Room) || entry.Room == _self.Value)
            {
                continue;
            }

            if (EndpointParser.TryParse(entry.RelayEndpoint, out var endpoint))
            {
                endpoints[new RoomId(entry.Room)] = endpoint;
            }

            if (entry.ProbeEndpoint is { } probeAt && EndpointParser.TryParse(probeAt, out var probe))
            {
                probes[new RoomId(entry.Room)] = probe;
            }

            if (entry.CertificateFingerprint is { Length: 64 } fingerprint)
            {
                fingerprints.Add(fingerprint.ToUpperInvariant());
            }

            // A room of several relays: each trusted alike, and each serving one reachable (a hop picks one; a draining
            // relay takes no new flow, so it is offered only while none of the room's relays serves).
            var listed = new List<EndPoint>();
            var leaving = new List<EndPoint>();
            foreach (var node in entry.Nodes ?? [])
            {
                if (EndpointParser.TryParse(node.RelayEndpoint, out var at))
                {
                    (node.RelayState is "Draining" or "Drained" ? leaving : listed).Add(at);
                    weights[at] = Msdn.Graph.Topology.HeadroomBand.Weight(node.LoadBand);
                }

                if (node.CertificateFingerprint is { Length: 64 } held)
                {
                    fingerprints.Add(held.ToUpperInvariant());
                }
            }

            if (listed.Count == 0)
            {
                listed.AddRange(leaving);
            }

            if (listed.Count == 0 && endpoints.TryGetValue(new RoomId(entry.Room), out var only))
            {
                listed.Add(only);
            }

            nodes[new RoomId(entry.Room)] = [.. listed];
        }

        var peers = _configured.Keys.Concat(endpoints.Keys).Where(r => r != _self).Distinct().ToArray();
        return new Known(version, entries.ToFrozenDictionary(StringComparer.Ordinal), endpoints.ToFrozenDictionary(), nodes.ToFrozenDictionary(), weights.ToFrozenDictionary(), probes.ToFrozenDictionary(), fingerprints.ToFrozenSet(StringComparer.Ordinal), peers);
    }

    private sealed record Known(long Version, FrozenDictionary<string, DirectoryEntryBody> Entries, FrozenDictionary<RoomId, EndPoint> Endpoints, FrozenDictionary<RoomId, EndPoint[]> Nodes, FrozenDictionary<EndPoint, double> Weights, FrozenDictionary<RoomId, EndPoint> Probes, FrozenSet<string> Fingerprints, RoomId[] Peers);
}
