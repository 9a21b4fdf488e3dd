using Msdn.Router.Rooms;
using Orleans;
using Orleans.Concurrency;

namespace Msdn.Router.Grains;

/// <summary>The single route computer (key 0): all rooms' latest records in, versioned route tables out.</summary>
[Alias("msdn.IRouteComputerGrain")]
public interface IRouteComputerGrain : IGrainWithIntegerKey
{
    /// <summary>Takes a room's latest record; returns how many of its links name a room that has never reported.</summary>
    [Alias("Accept")]
    Task<int> Accept(RoomRecord record);

    /// <summary>Forgets a room the operator removed: out of the next table (recomputed at once) and out of the directory.</summary>
    [Alias("Remove")]
    Task Remove(string room);

    /// <summary>The current table's and directory's versions (cheap: silos poll them).</summary>
    [Alias("Versions")]
    Task<ComputerVersions> Versions();

    /// <summary>The relay directory's changes since <paramref name="since"/>, or all of it (see <see cref="RoomDirectory.Since"/>).</summary>
    [Alias("Directory")]
    Task<DirectoryAnswer> Directory(long? since);

    /// <summary>The current table and its encoding (the computer's own silo is handed the very object; see <see cref="PublishedTable"/>).</summary>
    [Alias("Table")]
    Task<Immutable<PublishedTable>> Table();

    /// <summary>The silo this activation runs on (for operators: where the single route computer lives now).</summary>
    [Alias("Silo")]
    Task<string> Silo();

    /// <summary>Every room known, summarised for the API.</summary>
    [Alias("Rooms")]
    Task<RoomSummary[]> Rooms();

    /// <summary>Every link's estimate as the last computation read it.</summary>
    [Alias("Estimates")]
    Task<Immutable<LinkEstimates>> Estimates();
}

/// <summary>What a silo polls to know whether the table or the directory moved.</summary>
[GenerateSerializer, Immutable, Alias("msdn.ComputerVersions")]
public sealed record ComputerVersions([property: Id(0)] long Table, [property: Id(1)] long Directory);
