namespace Msdn.Overlay.Control;

/// <summary>How the relay reaches its controller now: directly, through a peer relay, or not at all (it forwards on its last table).</summary>
public sealed record ControllerStatus(string Via, DateTimeOffset? LastContact, long RouteTableVersion, string? LastError)
{
    public const string Direct = "direct";
    public const string Unreachable = "unreachable";

    public bool Reachable => Via != Unreachable;
}
