using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Topology;
using Msdn.Router.Rooms;
using Msdn.Router.Routing;

namespace Msdn.Router.Tests.Routing;

/// <summary>
/// A one-way ("gray") loss is priced on its own direction: a room's report carries the share of its probes that
/// did not reach the peer, and only that directed link pays for it. The reverse direction keeps its routes.
/// </summary>
public sealed class DirectedLossTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RouterOptions _options = new() { StaleAfter = TimeSpan.FromSeconds(5), UnreachableAfter = TimeSpan.FromSeconds(15) };

    /// <summary>
    /// a – b direct (50 ms) or through c (30 + 30 ms), with loss on a > b only: a's probes to b lose that share on
    /// the way (its forward loss, and its round trip's), b's probes to a arrive but their answers cross the lossy
    /// direction (b's round trip shows the loss, its forward loss none). Oracle: the cost model on each direction's
    /// own loss, against the 60 ms detour.
    /// </summary>
    [Property(MaxTest = 200)]
    public bool Only_the_lossy_direction_reroutes(byte lossByte)
    {
        var loss = lossByte / 255.0 * 0.49; // below MaxUsableLoss: the link stays in the graph both ways
        var costs = new CostModel(new CostModelOptions());
        var book = new RouteBook(new RouteComputer(costs, new HysteresisOptions()), _options);
        Report(book, "a", ("b", 50, loss, loss), ("c", 30, 0, 0));
        Report(book, "b", ("a", 50, loss, 0), ("c", 30, 0, 0));
        Report(book, "c", ("a", 30, 0, 0), ("b", 30, 0, 0));
        book.Recompute(_clock.GetUtcNow());

        var direct = costs.Cost(new LinkQuality(50, 0, loss, true, _clock.GetUtcNow()));
        var detour = 2 * costs.Cost(new LinkQuality(30, 0, 0, true, _clock.GetUtcNow()));
        RoomId[] lossyExpected = direct <= detour ? ["a", "b"] : ["a", "c", "b"];
        return book.Table.Find("b", "a")!.Primary.SequenceEqual<RoomId>(["b", "a"])
            && book.Table.Find("a", "b")!.Primary.SequenceEqual(lossyExpected);
    }

    [Fact]
    public void Without_a_forward_measurement_a_link_is_priced_by_its_round_trip()
    {
        var book = new RouteBook(new RouteComputer(new CostModel(new CostModelOptions()), new HysteresisOptions()), _options);
        Report(book, "a", ("b", 50, 0.3, null), ("c", 30, 0, null));
        Report(book, "b", ("a", 50, 0.3, null), ("c", 30, 0, null));
        Report(book, "c", ("a", 30, 0, null), ("b", 30, 0, null));
        book.Recompute(_clock.GetUtcNow());
        Assert.Equal<RoomId>(["b", "c", "a"], book.Table.Find("b", "a")!.Primary); // an older relay: both directions pay
        Assert.Equal<RoomId>(["a", "c", "b"], book.Table.Find("a", "b")!.Primary);
    }

    private void Report(RouteBook book, string room, params (string Peer, double Rtt, double Loss, double? ForwardLoss)[] links) => book.Accept(new RoomRecord
    {
        Room = room,
        LastReportAt = _clock.GetUtcNow(),
        Latest = new RoomReport
        {
            RelayEndpoint = $"127.0.0.1:{7500 + room[0]}",
            Links = [.. links.Select(l => new LinkEstimate { Peer = l.Peer, RttMs = l.Rtt, Loss = l.Loss, ForwardLoss = l.ForwardLoss, Up = true })],
        },
    });
}
