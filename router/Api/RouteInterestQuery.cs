using Msdn.Graph.Topology;

namespace Msdn.Router.Api;

/// <summary>
/// The <c>to</c> of a route fetch: the rooms a relay's flows go to, comma-separated (empty: none; absent: the
/// whole table). Bounded so the request line stays within the server's limit; a relay with more asks for the whole table.
/// </summary>
public static class RouteInterestQuery
{
    public const int MaxDestinations = Msdn.Graph.Tables.RouteTable.MaxDestinationsAsked;

    /// <summary>Why <paramref name="to"/> is refused, or null with the destinations it names (null: the whole table).</summary>
    public static string? Problem(string? to, out IReadOnlySet<RoomId>? destinations)
    {
        destinations = null;
        if (to is null)
        {
            return null;
        }

        var names = to.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length > MaxDestinations || names.Any(name => !RoomId.IsValid(name)))
        {
            return $"to must be at most {MaxDestinations} room ids, comma-separated (leave it out for the whole table).";
        }

        destinations = names.Select(name => new RoomId(name)).ToHashSet();
        return null;
    }
}
