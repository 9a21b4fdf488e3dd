using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Detection;
using Msdn.Probe.Protocol;
using Msdn.Probe.Tests.Support;
using Msdn.Probe.Transport;
using Xunit.Abstractions;

namespace Msdn.Probe.Tests.Agent;

/// <summary>Two agents on real UDP sockets on 127.0.0.1, with user-space impairment (no netem here), in real time.</summary>
public sealed class ProbeAgentUdpTests(ITestOutputHelper output)
{
    private static readonly RoomId A = "room-a";
    private static readonly RoomId B = "room-b";

    [Fact]
    public async Task Measured_rtt_and_loss_match_the_injected_impairment()
    {
        // A → B: 15 ms ± 2 ms and 10 % loss; B → A: 15 ms ± 2 ms. So RTT ≈ 30 ms, forward loss ≈ 10 %, reverse ≈ 0.
        var sink = new CollectingSink(r => r.Room == A && r.Links.Count == 1 && r.Links[0].ProbesSent >= 250);
        var socketA = new ImpairedProbeSocket(new UdpProbeSocket(new IPEndPoint(IPAddress.Loopback, 0)), TimeProvider.System, seed: 1);
        var socketB = new ImpairedProbeSocket(new UdpProbeSocket(new IPEndPoint(IPAddress.Loopback, 0)), TimeProvider.System, seed: 2);
        socketA.Impair(socketB.LocalEndPoint, new LinkImpairment(TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(2), Loss: 0.1));
        socketB.Impair(socketA.LocalEndPoint, new LinkImpairment(TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(2)));
        await using var agentA = new ProbeAgent(Fast(A), socketA, TimeProvider.System, NullLogger<ProbeAgent>.Instance, sink, seed: 1);
        await using var agentB = new ProbeAgent(Fast(B), socketB, TimeProvider.System, NullLogger<ProbeAgent>.Instance, seed: 2);
        agentA.Start();
        agentB.Start();
        agentA.SetPeers([new ProbePeer(B, socketB.LocalEndPoint)]);
        agentB.SetPeers([new ProbePeer(A, socketA.LocalEndPoint)]);
        agentA.SetActive(B, true);

        // A forged datagram from a plain UDP client: counted, never measured.
        using (var forger = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            var forged = new byte[ProbeCodec.MaxLength];
            var length = ProbeCodec.Encode(new ProbePacket(ProbeKind.Reply, B, 1, 1, 0, 1), new byte[32], forged);
            await forger.SendAsync(forged.AsMemory(0, length), (IPEndPoint)socketA.LocalEndPoint);
        }

        var report = await sink.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var link = report.Links[0];
        output.WriteLine($"RTT {link.Quality.RttMs:F1} ms (min {link.RttMinimumMs:F1}), jitter {link.Quality.JitterMs:F2} ms, loss {link.Quality.Loss:F3}, forward {link.ForwardLoss:F3}, reverse {link.ReverseLoss:F3}, sent {link.ProbesSent}");
        Assert.Equal(LinkState.Up, link.State);
        Assert.InRange(link.Quality.RttMs, 27, 60); // upper bounds leave room for a loaded CI machine's timer latency
        Assert.InRange(link.RttMinimumMs, 26, 45);
        Assert.InRange(link.ForwardLoss!.Value, 0.02, 0.2);
        Assert.InRange(link.ReverseLoss!.Value, 0, 0.05);
        Assert.Equal(1, agentA.Counters.Rejected(ProbeRejection.BadMac));
    }

    [Fact]
    public async Task A_cut_link_is_declared_down_and_comes_back_up()
    {
        var socketA = new ImpairedProbeSocket(new UdpProbeSocket(new IPEndPoint(IPAddress.Loopback, 0)), TimeProvider.System, seed: 3);
        var socketB = new ImpairedProbeSocket(new UdpProbeSocket(new IPEndPoint(IPAddress.Loopback, 0)), TimeProvider.System, seed: 4);
        await using var agentA = new ProbeAgent(Fast(A), socketA, TimeProvider.System, NullLogger<ProbeAgent>.Instance, seed: 3);
        await using var agentB = new ProbeAgent(Fast(B), socketB, TimeProvider.System, NullLogger<ProbeAgent>.Instance, seed: 4);
        var up = new TaskCompletionSource<LinkStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var down = new TaskCompletionSource<LinkStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = agentA.Subscribe(change => (change.State == LinkState.Up ? up : down).TrySetResult(change));
        agentA.Start();
        agentB.Start();
        agentA.SetPeers([new ProbePeer(B, socketB.LocalEndPoint)]);
        agentB.SetPeers([new ProbePeer(A, socketA.LocalEndPoint)]);
        agentA.SetActive(B, true);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(10));

        up = new TaskCompletionSource<LinkStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cutAt = TimeProvider.System.GetUtcNow();
        socketA.Impair(socketB.LocalEndPoint, LinkImpairment.Severed);
        socketB.Impair(socketA.LocalEndPoint, LinkImpairment.Severed);
        var declared = await down.Task.WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"cut → down in {(declared.At - cutAt).TotalMilliseconds:F0} ms (fast interval 20 ms, timeout 200 ms, 4 losses)");
        Assert.Equal(B, declared.To);
        Assert.Equal(LinkState.Down, Assert.Single(agentA.Snapshot()).State);

        socketA.Impair(socketB.LocalEndPoint, LinkImpairment.None);
        socketB.Impair(socketA.LocalEndPoint, LinkImpairment.None);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(LinkState.Up, Assert.Single(agentA.Snapshot()).State);
    }

    private static ProbeAgentOptions Fast(RoomId room) => new()
    {
        Room = room.Value,
        ClusterKey = VirtualProbeWorld.Key,
        BaseInterval = TimeSpan.FromMilliseconds(50),
        FastInterval = TimeSpan.FromMilliseconds(20),
        ProbeTimeout = TimeSpan.FromMilliseconds(200),
        ReportInterval = TimeSpan.FromMilliseconds(250),
    };
}
