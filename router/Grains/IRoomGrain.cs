using Msdn.Router.Rooms;
using Orleans;

namespace Msdn.Router.Grains;

/// <summary>One edge room (keyed by room id): its relay's registration and its latest link reports.</summary>
[Alias("msdn.IRoomGrain")]
public interface IRoomGrain : IGrainWithStringKey
{
    /// <summary>Takes the room's latest report; returns how many of its links name a room that has never reported.</summary>
    [Alias("Report")]
    Task<int> Report(RoomReport report);

    [Alias("Describe")]
    Task<RoomRecord> Describe();
}
