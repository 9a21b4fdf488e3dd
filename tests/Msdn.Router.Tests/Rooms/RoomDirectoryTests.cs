using FsCheck.Xunit;
using Msdn.Router.Rooms;

namespace Msdn.Router.Tests.Rooms;

/// <summary>The relay directory: diffs from any version a follower holds bring it to exactly the current entries.</summary>
public sealed class RoomDirectoryTests
{
    [Fact]
    public void A_registration_that_did_not_change_is_not_a_new_version_and_a_diff_carries_only_what_moved()
    {
        var directory = new RoomDirectory();
        Assert.True(Register(directory, "room-a", Report("10.0.0.1:7000", "AA")));
        Assert.True(Register(directory, "room-b", Report("10.0.0.2:7000", "BB")));
        Assert.False(Register(directory, "room-a", Report("10.0.0.1:7000", "AA")), "every report re-registers: only a change is news");
        Assert.Equal(2, directory.Version);

        Assert.True(Register(directory, "room-b", Report("10.0.0.2:7000", "B2"))); // re-keyed
        Assert.True(directory.Remove("room-a"));
        var diff = directory.Since(2);
        Assert.False(diff.Full);
        Assert.Equal(["room-b"], diff.Entries.Select(e => e.Room));
        Assert.Equal("B2", diff.Entries[0].CertificateFingerprint);
        Assert.Equal(["room-a"], diff.Removed);

        Assert.True(directory.Since(null).Full);
        Assert.True(directory.Since(99).Full, "a version from before a restart gets the whole directory");
    }

    [Fact]
    public void A_relay_joining_a_500_room_directory_costs_each_follower_one_entry_not_five_hundred()
    {
        var directory = new RoomDirectory();
        for (var i = 0; i < 500; i++)
        {
            Register(directory, $"room-{i}", new RoomReport { RelayEndpoint = $"10.0.{i / 250}.{i % 250}:7000", ClientEndpoint = $"10.0.{i / 250}.{i % 250}:7100", ProbeEndpoint = $"10.0.{i / 250}.{i % 250}:7001", CertificateFingerprint = new string((char)('A' + (i % 6)), 64) });
        }

        var held = directory.Version;
        Register(directory, "room-500", new RoomReport { RelayEndpoint = "10.0.2.0:7000", ProbeEndpoint = "10.0.2.0:7001", CertificateFingerprint = new string('F', 64) });
        var whole = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(directory.Since(null), Msdn.Router.Api.RouterJsonContext.Default.DirectoryAnswer);
        var diff = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(directory.Since(held), Msdn.Router.Api.RouterJsonContext.Default.DirectoryAnswer);
        Assert.Single(directory.Since(held).Entries);
        Assert.True(diff.Length * 100 < whole.Length, $"a join's diff is {diff.Length} bytes, the whole directory {whole.Length}");
    }

    /// <summary>
    /// Any sequence of registrations, re-registrations and removals, with a follower catching up at random
    /// moments from whatever version it holds: after each catch-up it holds exactly the directory's entries.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool A_follower_applying_each_answer_holds_exactly_the_current_entries((byte Room, byte Variant, bool Remove, bool Sync)[] steps)
    {
        var directory = new RoomDirectory();
        var follower = new RoomDirectory();
        var current = new Dictionary<string, DirectoryEntry>(StringComparer.Ordinal);
        foreach (var (roomByte, variant, remove, sync) in steps)
        {
            var room = $"room-{roomByte % 6}";
            if (remove)
            {
                directory.Remove(room);
                current.Remove(room);
            }
            else
            {
                Register(directory, room, Report($"10.0.0.{variant % 3}:7000", $"F{variant % 2}"));
                current[room] = directory.Since(null).Entries.Single(e => e.Room == room);
            }

            if (sync)
            {
                follower.Apply(directory.Since(follower.Version == 0 ? null : follower.Version));
                var held = follower.Since(null).Entries;
                if (follower.Version != directory.Version || !held.OrderBy(e => e.Room, StringComparer.Ordinal).SequenceEqual(current.Values.OrderBy(e => e.Room, StringComparer.Ordinal)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    [Fact]
    public void A_relays_load_band_is_news_only_when_it_crosses_a_band_clearly()
    {
        var directory = new RoomDirectory();
        NodeRecord Relay(string endpoint, double utilization) => new() { Latest = Report(endpoint, endpoint[^4..]) with { Load = new RelayLoadReport { Utilization = utilization } }, LastReportAt = DateTimeOffset.UnixEpoch };
        bool Loads(double first, double second) => directory.Register(new RoomRecord { Room = "room-a", Latest = Report("10.0.0.1:7000", "7000"), Nodes = [Relay("10.0.0.1:7000", first), Relay("10.0.0.2:7000", second)] });
        int[] Bands() => [.. directory.Since(null).Entries.Single().Nodes!.Select(n => n.LoadBand)];

        Assert.True(Loads(0.1, 0.3));
        Assert.Equal([0, 0], Bands());
        Assert.False(Loads(0.2, 0.45), "a load moving within its band is no news for the followers");
        Assert.True(Loads(0.2, 0.85));
        Assert.Equal([0, 2], Bands());
        Assert.False(Loads(0.2, 0.78), "just under the bound: the band holds");
        Assert.True(Loads(0.2, 1.3));
        Assert.Equal([0, 3], Bands());
        Assert.True(Loads(0.2, 0.4));
        Assert.Equal([0, 0], Bands());
    }

    private static RoomReport Report(string endpoint, string fingerprint) => new() { RelayEndpoint = endpoint, CertificateFingerprint = fingerprint };

    private static bool Register(RoomDirectory directory, string room, RoomReport report) => directory.Register(new RoomRecord { Room = room, Latest = report });
}
