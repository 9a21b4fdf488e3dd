namespace Msdn.Client;

/// <summary>The relay refused or failed a media engine's request; <see cref="Reason"/> says why (token, draining, unknown room, failed).</summary>
public sealed class RelayClientException(string reason) : IOException($"The relay refused: {reason}")
{
    public string Reason { get; } = reason;
}
