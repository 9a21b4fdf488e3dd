namespace Msdn.Router.Rooms;

/// <summary>
/// One relay per endpoint: a report presenting another certificate than the relay registered at its endpoint is a
/// second claim on that relay's place (a second process started at the same address, or a stolen credential)
/// while that relay is still heard from. It is refused, so the two do not take turns in the directory. Once the
/// registered relay has been silent past the stale threshold, a new certificate is a re-keyed or replaced relay,
/// and it takes the place. The certificate the cluster CA last issued to the registered relay
/// (<see cref="NodeRecord.IssuedFingerprint"/>) is that relay renewing, not a second claim. A relay at another
/// endpoint is another relay of the room (<see cref="RoomNodes"/>).
/// </summary>
public static class RoomClaim
{
    /// <summary>Why a relay presenting the certificate <paramref name="presented"/> may not take <paramref name="registered"/>'s place now, or null when it may.</summary>
    public static string? Conflict(string room, NodeRecord registered, string? presented, DateTimeOffset now, TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(registered);
        if (registered.Latest.CertificateFingerprint is not { } held || presented is null
            || string.Equals(held, presented, StringComparison.OrdinalIgnoreCase)
            || string.Equals(registered.IssuedFingerprint, presented, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var silent = now - registered.LastReportAt;
        return silent >= staleAfter
            ? null
            : $"Room {room}'s relay at {registered.Endpoint} is held by another relay (certificate {held[..16]}…, last heard {silent.TotalSeconds:F1} s ago); a relay with another certificate takes its place only after that one has been silent for {staleAfter.TotalSeconds:F0} s.";
    }
}
