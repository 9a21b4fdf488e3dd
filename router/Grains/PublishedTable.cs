using Msdn.Graph.Tables;
using Orleans;

namespace Msdn.Router.Grains;

/// <summary>
/// The route computer's current table as the silos take it: the table, and its encoding (what a relay asking for the
/// whole table is sent). Never changed once made, so the computer's own silo takes this very object; another silo is
/// sent only the encoding and decodes it once (<see cref="PublishedTableConverter"/>).
/// </summary>
[Immutable]
public sealed class PublishedTable(RouteTable table, byte[] encoded)
{
    public RouteTable Table { get; } = table ?? throw new ArgumentNullException(nameof(table));

    public byte[] Encoded { get; } = encoded ?? throw new ArgumentNullException(nameof(encoded));

    public static PublishedTable Of(RouteTable table) => new(table, RouteTableCodec.Encode(table));

    /// <summary>
    /// A stored table brought back: as it was when it is the last version served, else numbered past
    /// <paramref name="lastServed"/> (versions published after it was stored may be held by relays: a number they
    /// hold must never name other routes, so they take this one whole).
    /// </summary>
    public static PublishedTable Restored(byte[] stored, long lastServed)
    {
        var table = RouteTableCodec.Decode(stored);
        return table.Version >= lastServed ? new PublishedTable(table, stored) : Of(table.WithVersion(lastServed + 1));
    }
}

/// <summary>What crosses between silos for a <see cref="PublishedTable"/>: its encoding alone.</summary>
[GenerateSerializer, Immutable, Alias("msdn.PublishedTable")]
public readonly record struct PublishedTableSurrogate([property: Id(0)] byte[] Encoded);

[RegisterConverter]
public sealed class PublishedTableConverter : IConverter<PublishedTable, PublishedTableSurrogate>
{
    public PublishedTable ConvertFromSurrogate(in PublishedTableSurrogate surrogate) => new(RouteTableCodec.Decode(surrogate.Encoded), surrogate.Encoded);

    public PublishedTableSurrogate ConvertToSurrogate(in PublishedTable value) => new(value.Encoded);
}
