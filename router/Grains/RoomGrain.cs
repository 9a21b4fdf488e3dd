using Msdn.Router.Rooms;
using Orleans;
using Orleans.Runtime;

namespace Msdn.Router.Grains;

/// <summary>
/// Thin shell: keeps the room's record (persisted when its relay's registration changes, so a restarted
/// silo still knows the room) and hands every report on to the route computer.
/// </summary>
public sealed class RoomGrain([PersistentState("room", RouterStorage.Name)] IPersistentState<RoomRecord> state, TimeProvider time) : Grain, IRoomGrain
{
    public async Task<int> Report(RoomReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var previous = state.State;
        var record = new RoomRecord
        {
            Room = this.GetPrimaryKeyString(),
            Latest = report,
            LastReportAt = time.GetUtcNow(),
            Reports = previous.Reports + 1,
        };
        state.State = record;
        if (previous.Latest is null
            || previous.Latest.RelayEndpoint != report.RelayEndpoint
            || previous.Latest.RelayState != report.RelayState
            || previous.Latest.ClientEndpoint != report.ClientEndpoint)
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }

        return await GrainFactory.GetGrain<IRouteComputerGrain>(0).Accept(record).ConfigureAwait(true);
    }

    public Task<RoomRecord> Describe() => Task.FromResult(state.State with { Room = this.GetPrimaryKeyString() });
}
