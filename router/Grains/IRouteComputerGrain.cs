using Msdn.Router.Rooms;
using Orleans;

namespace Msdn.Router.Grains;

/// <summary>The single route computer (key 0): all rooms' latest records in, versioned route tables out.</summary>
[Alias("msdn.IRouteComputerGrain")]
public interface IRouteComputerGrain : IGrainWithIntegerKey
{
    /// <summary>Takes a room's latest record; returns how many of its links name a room that has never reported.</summary>
    [Alias("Accept")]
    Task<int> Accept(RoomRecord record);

    /// <summary>The current table's version (cheap: silos poll it).</summary>
    [Alias("Version")]
    Task<long> Version();

    /// <summary>The current table, <see cref="Msdn.Graph.Tables.RouteTableCodec"/>-encoded.</summary>
    [Alias("Table")]
    Task<byte[]> Table();

    /// <summary>The silo this activation runs on (for operators: where the single route computer lives now).</summary>
    [Alias("Silo")]
    Task<string> Silo();

    /// <summary>Every room known, summarised for the API.</summary>
    [Alias("Rooms")]
    Task<RoomSummary[]> Rooms();

    /// <summary>The measured quality of every link the current table's routes use.</summary>
    [Alias("LinkMetrics")]
    Task<LinkMetric[]> LinkMetrics();
}
