using Msdn.Sim.Drills.Loopback;

namespace Msdn.Sim.Tests.Drills;

public class ControlWireScraperTests
{
    [Fact]
    public void Parse_reads_the_control_byte_counters_by_kind_and_direction_and_nothing_else()
    {
        const string scrape = """
            # TYPE msdn_relay_control_bytes_total counter
            msdn_relay_control_bytes_total{otel_scope_name="Msdn.Relay",direction="sent",kind="reports",room="room-1"} 1234 1733300000000
            msdn_relay_control_bytes_total{otel_scope_name="Msdn.Relay",direction="received",kind="routes",room="room-1"} 5.6e3
            msdn_relay_bytes_total{otel_scope_name="Msdn.Relay",direction="in",room="room-1"} 999
            msdn_relay_control_bytes_total{otel_scope_name="Msdn.Relay",room="room-1"} 7
            """;
        Assert.Equal([("reports", "sent", 1234L), ("routes", "received", 5600L)], ControlWireScraper.Parse(scrape));
    }
}
