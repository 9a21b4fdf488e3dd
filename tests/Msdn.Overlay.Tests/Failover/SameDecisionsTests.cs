using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Tests.Relay;
using Msdn.Probe.Agent;
using Msdn.Sim.Drills;
using Msdn.Sim.Drills.Virtual;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Failover;

/// <summary>
/// The relay (four real relays on 127.0.0.1) and the simulator's virtual engine, given the same events — a
/// flow opened, a new table with a better primary, links declared down and up, a transit relay killed —
/// take the same paths in the same order, with the same counts of moves and failovers.
/// </summary>
public sealed class SameDecisionsTests(ITestOutputHelper output)
{
    private static readonly RoomId A = RelayMesh.A, B = RelayMesh.B, C = RelayMesh.C, D = RelayMesh.D;

    /// <summary>The events, in order: each engine applies one and reports the flow's path once it carries data again.</summary>
    private enum Step
    {
        /// <summary>The table's primary A&gt;B&gt;C.</summary>
        Open,

        /// <summary>A new table (B's links slow) whose primary is A&gt;D&gt;C, backup A&gt;C: a move.</summary>
        SlowerB,

        /// <summary>A&gt;D declared down: a failover to the backup A&gt;C.</summary>
        DownAD,

        /// <summary>A&gt;D up again, A&gt;C declared down: back to the primary.</summary>
        UpADDownAC,

        /// <summary>D's relay dies: the primary failed this round, the backup is only suspected (down), so it is taken.</summary>
        KillD,
    }

    private static readonly RoomId[][] Expected = [[A, B, C], [A, D, C], [A, C], [A, D, C], [A, C]];

    /// <summary>The mesh's table again, with B's links slow: the primary A&gt;C becomes A&gt;D&gt;C.</summary>
    private static RouteTable SlowerB(RouteTable previous)
    {
        var links = new List<Link>();
        foreach (var (x, y, rtt) in new[] { (A, B, 60.0), (B, C, 60.0), (A, D, 15.0), (D, C, 15.0), (A, C, 100.0) })
        {
            links.Add(new Link(x, y, LinkQuality.FromRtt(rtt)));
            links.Add(new Link(y, x, LinkQuality.FromRtt(rtt)));
        }

        return new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create([A, B, C, D], links), previous);
    }

    [Fact]
    public async Task The_relay_and_the_virtual_engine_take_the_same_paths_for_the_same_events()
    {
        var relay = await RelayPathsAsync();
        var simulated = VirtualPaths();
        output.WriteLine($"relay:   {string.Join("  ", relay.Paths.Select(p => string.Join('>', p)))}; {relay.Moves} move(s), {relay.Failovers} failover(s)");
        output.WriteLine($"virtual: {string.Join("  ", simulated.Paths.Select(p => string.Join('>', p)))}; {simulated.Moves} move(s), {simulated.Failovers} failover(s)");
        Assert.Equal(Expected.Select(p => string.Join('>', p)), relay.Paths.Select(p => string.Join('>', p)));
        Assert.Equal(relay.Paths.Select(p => string.Join('>', p)), simulated.Paths.Select(p => string.Join('>', p)));
        Assert.Equal((1, 3), (relay.Moves, relay.Failovers));
        Assert.Equal((relay.Moves, relay.Failovers), (simulated.Moves, simulated.Failovers));
    }

    private async Task<(List<IReadOnlyList<RoomId>> Paths, int Moves, int Failovers)> RelayPathsAsync()
    {
        await using var mesh = await RelayMesh.StartAsync(output, new RelayNodeOptions());
        var sink = mesh.Relays[C].Subscribe("same");
        var flow = await mesh.Relays[A].OpenFlowAsync(C, "same");
        var paths = new List<IReadOnlyList<RoomId>>();
        var chunk = new byte[4096];
        foreach (var step in Enum.GetValues<Step>())
        {
            switch (step)
            {
                case Step.SlowerB:
                    mesh.Routes = SlowerB(mesh.Routes);
                    break;
                case Step.DownAD:
                    mesh.Relays[A].LinkDown(A, D);
                    break;
                case Step.UpADDownAC:
                    mesh.Relays[A].LinkUp(A, D);
                    mesh.Relays[A].LinkDown(A, C);
                    break;
                case Step.KillD:
                    await mesh.KillAsync(D);
                    break;
            }

            // The flow carries data on its new path: written, acknowledged end to end.
            var before = paths.Count == 0 ? [] : paths[^1];
            await flow.WriteAsync(chunk);
            await RelayMesh.WaitUntilAsync(() => !flow.CurrentPath.SequenceEqual(before), TimeSpan.FromSeconds(10), $"a new path after {step}");
            await flow.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
            paths.Add(flow.CurrentPath);
        }

        flow.CompleteWriting();
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        _ = sink;
        return (paths, flow.Moves, flow.Failovers);
    }

    private static (List<IReadOnlyList<RoomId>> Paths, int Moves, int Failovers) VirtualPaths()
    {
        RoomId[] ids = [A, B, C, D];
        var spec = new WorldSpec { Rooms = 4, Regions = 2, JitterMs = 0, Loss = 0 };
        var world = new VirtualWorld(GeneratedWorld.Create(spec, seed: 1), spec, new Random(1));
        using var probing = new VirtualProbing(world, new ProbeAgentOptions(), ids, seed: 1, idleSweeper: false);
        var queue = new EventQueue();
        long now = 0;
        var plane = new VirtualDataPlane(world, probing, queue, ids, new RelayNodeOptions(), () => now);
        var table = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions()).Compute(TopologySnapshot.Create(ids, [.. Mesh()]));
        foreach (var relay in plane.Relays)
        {
            relay.Table = table;
        }

        var flow = plane.NewFlow(new DrillFlow(0, A.Value, C.Value, rateKbps: 400), 0, 2, ingressNode: 0, 4 * 1024 * 1024);
        plane.StartWriter(flow, endUs: 60_000_000);
        void RunFor(double seconds) => queue.RunUntil(now + (long)(seconds * 1e6), t => now = t);
        var paths = new List<IReadOnlyList<RoomId>>();
        foreach (var step in Enum.GetValues<Step>())
        {
            switch (step)
            {
                case Step.SlowerB:
                    plane.Relays[0].Table = SlowerB(plane.Relays[0].Table);
                    plane.TableArrived(0);
                    break;
                case Step.DownAD:
                    plane.LinkState(0, 3, up: false);
                    break;
                case Step.UpADDownAC:
                    plane.LinkState(0, 3, up: true);
                    plane.LinkState(0, 2, up: false);
                    break;
                case Step.KillD:
                    world.SetNodeAlive(3, false);
                    plane.Killed(3);
                    break;
            }

            RunFor(3); // long past any patience: the flow is on its next path and acknowledged there
            Assert.True(flow.Core.PathEstablished, $"the virtual flow carries data after {step}");
            paths.Add(flow.Core.CurrentPath);
        }

        return (paths, flow.Core.Moves, flow.Core.Failovers);

        static IEnumerable<Link> Mesh()
        {
            foreach (var (x, y, rtt) in new[] { (A, B, 10.0), (B, C, 10.0), (A, D, 15.0), (D, C, 15.0), (A, C, 100.0) })
            {
                yield return new Link(x, y, LinkQuality.FromRtt(rtt));
                yield return new Link(y, x, LinkQuality.FromRtt(rtt));
            }
        }
    }
}
