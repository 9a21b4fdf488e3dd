namespace Msdn.Router.Rooms;

/// <summary>
/// One relay per room: a report presenting another certificate than the room's registered relay is a second
/// claim on the room (a second process started with the same room and credential, or a stolen credential)
/// while that relay is still heard from. It is refused, so the two do not take turns in the directory. Once
/// the registered relay has been silent past the stale threshold, a new certificate is a re-keyed or
/// replaced relay, and it takes the room. The certificate the cluster CA last issued to the registered relay
/// (<see cref="RoomRecord.IssuedFingerprint"/>) is that relay renewing, not a second claim.
/// </summary>
public static class RoomClaim
{
    /// <summary>Why a relay presenting the certificate <paramref name="presented"/> may not take the room from <paramref name="registered"/> now, or null when it may.</summary>
    public static string? Conflict(RoomRecord registered, string? presented, DateTimeOffset now, TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(registered);
        if (registered.Latest?.CertificateFingerprint is not { } held || presented is null
            || string.Equals(held, presented, StringComparison.OrdinalIgnoreCase)
            || string.Equals(registered.IssuedFingerprint, presented, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var silent = now - registered.LastReportAt;
        return silent >= staleAfter
            ? null
            : $"Room {registered.Room} is held by another relay (certificate {held[..16]}…, at {registered.Latest.RelayEndpoint}, last heard {silent.TotalSeconds:F1} s ago); a relay with another certificate takes the room only after that one has been silent for {staleAfter.TotalSeconds:F0} s.";
    }
}
