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
        var previous = state.State;
        if (previous.Removed)
        {
            return new ReportOutcome(0, Removed: true);
        }

        if (RoomClaim.Conflict(previous with { Room = this.GetPrimaryKeyString() }, report.CertificateFingerprint, time.GetUtcNow(), options.Value.StaleAfter) is { } conflict)
        {
            return new ReportOutcome(0, Removed: false, Conflict: conflict);
        }

        if (!ReportAmendment.Amends(previous.Latest, report))
        {
            return new ReportOutcome(0, Removed: false, FullWanted: true);
        }

        report = report.Since is null ? report : ReportAmendment.Apply(previous.Latest!, report);
        var record = new RoomRecord
        {
            Room = this.GetPrimaryKeyString(),
            Latest = report,
            LastReportAt = time.GetUtcNow(),
            Reports = previous.Reports + 1,
            IssuedFingerprint = previous.IssuedFingerprint,
        };
        state.State = record;
        if (previous.Latest is null
            || previous.Latest.RelayEndpoint != report.RelayEndpoint
            || previous.Latest.RelayState != report.RelayState
            || previous.Latest.ClientEndpoint != report.ClientEndpoint
            || previous.Latest.CertificateFingerprint != report.CertificateFingerprint
            || previous.Latest.ProbeEndpoint != report.ProbeEndpoint)
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }

        // The room's load is its one relay's: every relay of a room, draining or not, counts towards it.
        return new ReportOutcome(await GrainFactory.GetGrain<IRouteComputerGrain>(0).Accept(record).ConfigureAwait(true), Removed: false, RoomLoad: report.Load?.Utilization);
    }

    public async Task<CertificateOutcome> IssueCertificate(string requestPem, string? presentedFingerprint)
    {
        if (services.GetService(typeof(RelayCertificateIssuer)) is not RelayCertificateIssuer issuer)
        {
            return new CertificateOutcome(null, CertificateRefusal.NoCa, "This controller signs no relay certificates: it is clustered without Router:ClusterCaFile (--cluster-ca-file). Relays register self-signed certificates instead.");
        }

        var previous = state.State;
        if (previous.Removed)
        {
            return new CertificateOutcome(null, CertificateRefusal.Removed, null);
        }

        if (RoomClaim.Conflict(previous with { Room = this.GetPrimaryKeyString() }, presentedFingerprint, time.GetUtcNow(), options.Value.StaleAfter) is { } conflict)
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

        state.State = previous with { Room = this.GetPrimaryKeyString(), IssuedFingerprint = issued.Fingerprint };
        await state.WriteStateAsync().ConfigureAwait(true);
        return new CertificateOutcome(issued, null, null);
    }

    public async Task Remove()
    {
        state.State = state.State with { Room = this.GetPrimaryKeyString(), Removed = true, Latest = null };
        await state.WriteStateAsync().ConfigureAwait(true);
        await GrainFactory.GetGrain<IRouteComputerGrain>(0).Remove(this.GetPrimaryKeyString()).ConfigureAwait(true);
    }

    public async Task Admit()
    {
        state.State = state.State with { Room = this.GetPrimaryKeyString(), Removed = false };
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    public Task<bool> IsRemoved() => Task.FromResult(state.State.Removed);

    public Task<RoomRecord> Describe() => Task.FromResult(state.State with { Room = this.GetPrimaryKeyString() });
}
