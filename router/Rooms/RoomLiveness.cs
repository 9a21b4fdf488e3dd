namespace Msdn.Router.Rooms;

/// <summary>Whether a room is heard from: its links count only while it is fresh or stale. Named in JSON (<c>"Fresh"</c>), as operators read it.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<RoomLiveness>))]
public enum RoomLiveness
{
    /// <summary>Reported within the stale threshold.</summary>
    Fresh,

    /// <summary>Late: its last links still count, it is flagged.</summary>
    Stale,

    /// <summary>Silent past the unreachable threshold: its links leave the graph.</summary>
    Unreachable,
}
