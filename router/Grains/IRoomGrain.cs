using Msdn.Router.Rooms;
using Orleans;

namespace Msdn.Router.Grains;

/// <summary>One edge room (keyed by room id): its relay's registration and its latest link reports.</summary>
[Alias("msdn.IRoomGrain")]
public interface IRoomGrain : IGrainWithStringKey
{
    [Alias("Report")]
    Task Report(RoomReport report);

    [Alias("Describe")]
    Task<RoomRecord> Describe();
}
