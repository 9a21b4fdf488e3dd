using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Rooms;

/// <summary>One relay per room: a second certificate is refused while the registered relay is heard from.</summary>
public sealed class RoomClaimTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(1.0, "BBBB", true)]    // another certificate while the holder reported a second ago: a second claim
    [InlineData(4.9, "BBBB", true)]
    [InlineData(5.0, "BBBB", false)]   // the holder went stale: a re-keyed or replacement relay takes the room
    [InlineData(1.0, "AAAA", false)]   // the holder itself
    [InlineData(1.0, "aaaa", false)]   // fingerprints are hex: case does not make another relay
    [InlineData(1.0, null, false)]     // a relay that registers no certificate (an older one) is not judged by it
    public void Another_certificate_is_refused_only_while_the_holder_is_heard_from(double secondsSinceHolder, string? presented, bool refused)
    {
        var holder = new RoomRecord { Room = "room-a", LastReportAt = Now - TimeSpan.FromSeconds(secondsSinceHolder), Latest = new RoomReport { RelayEndpoint = "10.0.0.1:7000", CertificateFingerprint = Fingerprint("AAAA") } };
        var conflict = RoomClaim.Conflict(holder, presented is null ? null : Fingerprint(presented), Now, StaleAfter);
        Assert.Equal(refused, conflict is not null);
        if (conflict is not null)
        {
            Assert.Contains("10.0.0.1:7000", conflict, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_certificate_the_CA_issued_to_the_holder_is_the_holder_renewing_not_a_second_claim()
    {
        var holder = new RoomRecord { Room = "room-a", LastReportAt = Now, IssuedFingerprint = Fingerprint("CCCC"), Latest = new RoomReport { RelayEndpoint = "10.0.0.1:7000", CertificateFingerprint = Fingerprint("AAAA") } };
        Assert.Null(RoomClaim.Conflict(holder, Fingerprint("CCCC"), Now, StaleAfter));
        Assert.NotNull(RoomClaim.Conflict(holder, Fingerprint("BBBB"), Now, StaleAfter));
    }

    [Fact]
    public void A_room_never_registered_is_anyone_s_with_its_credential() =>
        Assert.Null(RoomClaim.Conflict(new RoomRecord { Room = "room-a" }, Fingerprint("BBBB"), Now, StaleAfter));

    private static string Fingerprint(string pattern) => string.Concat(Enumerable.Repeat(pattern, 16));
}
