using Msdn.Router.Identity;
using Msdn.Router.Rooms;
using Orleans;
using Orleans.Runtime;

namespace Msdn.Router.Grains;

/// <summary>
/// Thin shell: keeps the room's record (persisted when its relay's registration changes, so a restarted
/// silo still knows the room, and whether the operator removed it) and hands every report on to the route computer.
/// </summary>
public sealed class RoomGrain([PersistentState("room", RouterStorage.Name)] IPersistentState<RoomRecord> state, TimeProvider time, Microsoft.Extensions.Options.IOptions<Routing.RouterOptions> options, IServiceProvider services) : Grain, IRoomGrain
{
    public async Task<ReportOutcome> Report(RoomReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var previous = state.State with { Room = this.GetPrimaryKeyString() };
        if (previous.Removed)
        {
            return new ReportOutcome(0, Removed: true);
        }

        if (previous.Revokes(report.CertificateFingerprint))
        {
            return new ReportOutcome(0, Removed: false, RelayRemoved: true);
        }

        var now = time.GetUtcNow();
        var nodes = RoomNodes.Of(previous);
        var node = RoomNodes.Find(nodes, report);
        if (RoomNodes.Conflict(previous.Room, nodes, node, report, now, options.Value) is { } conflict)
        {
            return new ReportOutcome(0, Removed: false, Conflict: conflict);
        }

        if (!ReportAmendment.Amends(node?.Latest, report))
        {
            return new ReportOutcome(0, Removed: false, FullWanted: true);
        }

        report = report.Since is null ? report : ReportAmendment.Apply(node!.Latest, report);
        var record = RoomNodes.Take(previous, node, report, now, options.Value);
        state.State = record;
        if (node is null
            || record.Nodes.Count != nodes.Count
            || node.Latest.RelayEndpoint != report.RelayEndpoint
            || node.Latest.RelayState != report.RelayState
            || node.Latest.ClientEndpoint != report.ClientEndpoint
            || node.Latest.CertificateFingerprint != report.CertificateFingerprint
            || node.Latest.ProbeEndpoint != report.ProbeEndpoint)
        {
            await state.WriteStateAsync().ConfigureAwait(true); // a relay joined, moved, re-keyed, changed state or left
        }

        // The room's load across its relays, draining or not (RoomNodes.RoomLoad): it takes a draining relay back into service.
        return new ReportOutcome(await GrainFactory.GetGrain<IRouteComputerGrain>(0).Accept(record).ConfigureAwait(true), Removed: false, RoomLoad: RoomNodes.RoomLoad(record.Nodes));
    }

    public async Task<CertificateOutcome> IssueCertificate(string requestPem, string? presentedFingerprint)
    {
        if (services.GetService(typeof(RelayCertificateIssuer)) is not RelayCertificateIssuer issuer)
        {
            return new CertificateOutcome(null, CertificateRefusal.NoCa, "This controller signs no relay certificates: it is clustered without Router:ClusterCaFile (--cluster-ca-file). Relays register self-signed certificates instead.");
        }

        var previous = state.State with { Room = this.GetPrimaryKeyString() };
        if (previous.Removed)
        {
            return new CertificateOutcome(null, CertificateRefusal.Removed, $"Room {previous.Room} was removed by the operator; PUT /v1/rooms/{previous.Room} admits it again.");
        }

        if (previous.Revokes(presentedFingerprint))
        {
            return new CertificateOutcome(null, CertificateRefusal.Removed, $"This relay was removed from room {previous.Room} by the operator; PUT /v1/rooms/{previous.Room} admits its removed relays again.");
        }

        // A registered relay renewing (it presents its certificate), or a relay joining while the room has room for it.
        var nodes = RoomNodes.Of(previous);
        var renewing = presentedFingerprint is null ? null : nodes.FirstOrDefault(n => string.Equals(n.Latest.CertificateFingerprint, presentedFingerprint, StringComparison.OrdinalIgnoreCase));
        if (renewing is null && RoomNodes.Conflict(previous.Room, nodes, null, new RoomReport { RelayEndpoint = "(not registered yet)" }, time.GetUtcNow(), options.Value) is { } conflict)
        {
            return new CertificateOutcome(null, CertificateRefusal.Conflict, conflict);
        }

        IssuedCertificate issued;
        try
        {
            issued = issuer.Issue(this.GetPrimaryKeyString(), requestPem);
        }
        catch (CertificateRequestException e)
        {
            return new CertificateOutcome(null, CertificateRefusal.BadRequest, e.Message);
        }

        state.State = renewing is null
            ? previous with { IssuedFingerprint = issued.Fingerprint }
            : previous with { Nodes = [.. nodes.Select(n => ReferenceEquals(n, renewing) ? n with { IssuedFingerprint = issued.Fingerprint } : n)] };
        await state.WriteStateAsync().ConfigureAwait(true);
        return new CertificateOutcome(issued, null, null);
    }

    public async Task Remove()
    {
        state.State = state.State with { Room = this.GetPrimaryKeyString(), Removed = true, Latest = null, Nodes = [] };
        await state.WriteStateAsync().ConfigureAwait(true);
        await GrainFactory.GetGrain<IRouteComputerGrain>(0).Remove(this.GetPrimaryKeyString()).ConfigureAwait(true);
    }

    public async Task<RelayRemoval> RemoveRelay(string relayEndpoint)
    {
        var previous = state.State with { Room = this.GetPrimaryKeyString() };
        var nodes = RoomNodes.Of(previous);
        if (nodes.FirstOrDefault(n => n.Endpoint == relayEndpoint) is not { } removed)
        {
            return RelayRemoval.NotFound;
        }

        if (nodes.Count == 1)
        {
            return RelayRemoval.LastRelay;
        }

        // Its certificates (the one it presents, and one the CA issued it) are refused from now on; the room goes on as its other relays.
        var revoked = new[] { removed.Latest.CertificateFingerprint, removed.IssuedFingerprint }.OfType<string>().Select(f => f.ToUpperInvariant());
        var left = nodes.Where(n => !ReferenceEquals(n, removed)).ToList();
        var record = previous with
        {
            Nodes = left,
            Latest = RoomNodes.Merge(left, time.GetUtcNow(), options.Value.UnreachableAfter),
            RemovedRelays = [.. previous.RemovedRelays.Concat(revoked).Distinct(StringComparer.Ordinal).TakeLast(RoomRecord.MaxRemovedRelays)],
        };
        state.State = record;
        await state.WriteStateAsync().ConfigureAwait(true);
        await GrainFactory.GetGrain<IRouteComputerGrain>(0).Accept(record).ConfigureAwait(true); // the directory and the room's links follow at once
        return RelayRemoval.Removed;
    }

    public async Task Admit()
    {
        state.State = state.State with { Room = this.GetPrimaryKeyString(), Removed = false, RemovedRelays = [] };
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    public Task<bool> IsRemoved() => Task.FromResult(state.State.Removed);

    public Task<RoomRecord> Describe() => Task.FromResult(state.State with { Room = this.GetPrimaryKeyString() });
}
