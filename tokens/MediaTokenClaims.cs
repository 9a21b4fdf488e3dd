using MessagePack;

namespace Msdn.Tokens;

/// <summary>
/// What a media engine may do at a relay: the room it connects to, the destinations it may open flows to
/// (<c>room/endpoint</c>, <c>room/*</c> or <c>*</c>), the local endpoints it may subscribe to, and until when.
/// </summary>
[MessagePackObject]
public sealed record MediaTokenClaims(
    [property: Key(0)] string Subject,
    [property: Key(1)] string Room,
    [property: Key(2)] string[] MayOpen,
    [property: Key(3)] string[] MaySubscribe,
    [property: Key(4)] long ExpiresUnixSeconds)
{
    public bool AllowsOpen(string destinationRoom, string endpoint) => Matches(MayOpen, destinationRoom, endpoint);

    public bool AllowsSubscribe(string endpoint) => MaySubscribe.Contains("*") || MaySubscribe.Contains(endpoint);

    private static bool Matches(string[] patterns, string room, string endpoint) =>
        patterns.Any(p => p == "*" || p == $"{room}/*" || p == $"{room}/{endpoint}");
}
