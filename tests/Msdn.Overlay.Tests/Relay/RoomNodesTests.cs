using System.Security.Cryptography;
using Msdn.Graph.Topology;
using Msdn.Overlay.Lifecycle;
using Msdn.Overlay.Relay;
using Msdn.Tests.Common;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// Rooms of several relays (<see cref="RoomNodes"/>): each hop picks one relay of the next room, flows to an
/// endpoint arrive at the relay its subscriber chose, and a relay that dies or drains under a flow is replaced
/// by a sibling in the same room (the flow keeps its path) losing nothing.
/// </summary>
public abstract class RoomNodesTests(ITestOutputHelper output, string transport) : IAsyncLifetime
{
    private static readonly RoomId A = RoomNodes.A, B = RoomNodes.B, C = RoomNodes.C, D = RoomNodes.D;
    private RoomNodes _nodes = null!;

    public async Task InitializeAsync()
    {
        if (transport != "quic" || QuicSupport.IsAvailable)
        {
            _nodes = await RoomNodes.StartAsync(output, new RelayNodeOptions { AckTimeout = TimeSpan.FromSeconds(2) }, transport);
        }
    }

    public async Task DisposeAsync()
    {
        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
        }
    }

    private RelayNode Ingress => _nodes.Rooms[A][0];

    [SkippableFact]
    public async Task Flows_to_an_endpoint_arrive_at_the_relay_its_subscriber_chose()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        var endpoints = Enumerable.Range(0, 6).Select(i => $"engine-{i}").ToArray();
        var receiving = new List<(byte[] Sent, Task<byte[]> Received)>();
        foreach (var endpoint in endpoints)
        {
            // The subscriber connects to its endpoint's relay of D; a sibling of it hears nothing of the flow.
            var sink = _nodes.ChosenFor(D, endpoint).Subscribe(endpoint);
            var sent = RandomNumberGenerator.GetBytes(64 * 1024);
            var flow = await Ingress.OpenFlowAsync(D, endpoint);
            await flow.WriteAsync(sent);
            flow.CompleteWriting();
            receiving.Add((sent, RelayMesh.ReceiveAsync(sink)));
        }

        foreach (var (sent, received) in receiving)
        {
            Assert.Equal(sent, await received.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.All(Ingress.IngressFlows, f => Assert.Equal([A, B, C, D], f.CurrentPath));
    }

    [SkippableFact]
    public async Task A_hop_gives_a_busy_relay_of_the_next_room_few_of_its_new_flows()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        var (busy, idle) = (_nodes.Rooms[B][0], _nodes.Rooms[B][1]);
        Ingress.NodeWeight = relay => relay.Equals(busy.LocalEndPoint) ? HeadroomBand.Weight(3) : HeadroomBand.Weight(0); // as the directory would band them

        var open = new List<(RelayFlow Flow, Task<Msdn.Client.IncomingFlow> Arrived)>();
        for (var i = 0; i < 30; i++)
        {
            var endpoint = $"weighed-{i}";
            var sink = _nodes.ChosenFor(D, endpoint).Subscribe(endpoint);
            var flow = await Ingress.OpenFlowAsync(D, endpoint);
            await flow.WriteAsync(new byte[1024]);
            open.Add((flow, sink.ReadAsync().AsTask()));
        }

        foreach (var (_, arrived) in open)
        {
            await arrived.WaitAsync(TimeSpan.FromSeconds(30)); // every flow is set up through one relay of B
        }

        output.WriteLine($"{transport}: 30 flows, {busy.ActiveFlows} through the relay of B at capacity, {idle.ActiveFlows} through its idle sibling");
        Assert.Equal(30, busy.ActiveFlows + idle.ActiveFlows);
        Assert.InRange(busy.ActiveFlows, 0, 6); // 1.4 expected (weights 0.05 against 1)
        foreach (var (flow, _) in open)
        {
            flow.CompleteWriting();
        }
    }

    [SkippableFact]
    public async Task A_dead_first_hop_relay_is_replaced_by_its_sibling_and_the_flow_keeps_its_path()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        var flow = await FaultMidFlowAsync(4 * 1024 * 1024, () => _nodes.KillAsync(_nodes.Carrying(B)));
        output.WriteLine($"first hop's relay killed: {flow.Failovers} failover(s), {flow.FailoverTimes[^1].TotalMilliseconds:F0} ms to the first ack through its sibling");
    }

    [SkippableFact]
    public async Task A_dead_transit_relay_further_on_is_replaced_by_its_sibling_and_the_flow_keeps_its_path()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        var flow = await FaultMidFlowAsync(4 * 1024 * 1024, () => _nodes.KillAsync(_nodes.Carrying(C)));
        output.WriteLine($"second hop's relay killed: {flow.Failovers} failover(s), {flow.FailoverTimes[^1].TotalMilliseconds:F0} ms to the first ack through its sibling");
    }

    [SkippableFact]
    public async Task A_draining_transit_relay_hands_its_flow_to_a_sibling_and_is_drained()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        RelayNode? draining = null;
        await FaultMidFlowAsync(4 * 1024 * 1024, () =>
        {
            draining = _nodes.Carrying(C);
            draining.Drain();
            return Task.CompletedTask;
        });
        await draining!.WhenDrainedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RelayState.Drained, draining.State);
    }

    [SkippableFact]
    public async Task A_flow_falls_back_to_its_backup_path_only_when_every_relay_of_a_room_is_gone()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        var flow = await FaultMidFlowAsync(
            2 * 1024 * 1024,
            async () =>
            {
                foreach (var relay in _nodes.Rooms[C].ToList())
                {
                    await _nodes.KillAsync(relay);
                }
            },
            expectedPath: [A, D]);
        Assert.NotEmpty(flow.FailoverTimes);
    }

    [SkippableFact]
    public async Task A_peer_asking_to_avoid_more_relays_than_any_flow_does_is_refused_and_the_relay_serves_on()
    {
        Skip.If(_nodes is null, QuicSupport.Missing);
        var transit = _nodes.Rooms[B][0];
        var (connection, stream) = await _nodes.DialAsync(transit);
        await using (connection)
        {
            var frames = new Msdn.Client.Framing.FrameStream(stream, Msdn.Client.Framing.FrameLimits.Default);
            var avoid = Enumerable.Range(0, AvoidedNodes.Max + 1).Select(i => $"10.0.0.{i}:7000").ToArray();
            await frames.WriteAsync(Msdn.Client.Framing.Frame.Open(new Msdn.Client.Framing.OpenFlow(42, A.Value, D.Value, "sink", [A.Value, B.Value, C.Value, D.Value], 0, avoid)), default);

            // No answer: the stream ends (a typed refusal is logged and counted as a malformed frame), nothing is forwarded.
            var ended = await Record.ExceptionAsync(async () =>
            {
                if (await frames.ReadAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) is null)
                {
                    throw new EndOfStreamException();
                }
            });
            Assert.IsAssignableFrom<IOException>(ended); // ended or reset at once, not left waiting (a timeout) nor answered
        }

        Assert.All(_nodes.Rooms[C], r => Assert.Equal(0, r.ActiveFlows));
        // The relay serves on: a flow through room B arrives whole.
        var sink = _nodes.ChosenFor(D, "after").Subscribe("after");
        var flow = await Ingress.OpenFlowAsync(D, "after");
        var sent = RandomNumberGenerator.GetBytes(64 * 1024);
        await flow.WriteAsync(sent);
        flow.CompleteWriting();
        Assert.Equal(sent, await RelayMesh.ReceiveAsync(sink).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Half the bytes acknowledged on the primary, the fault, the other half; every byte arrives once, in order.</summary>
    private async Task<RelayFlow> FaultMidFlowAsync(int bytes, Func<Task> fault, RoomId[]? expectedPath = null)
    {
        const string endpoint = "sink";
        var sink = _nodes.ChosenFor(D, endpoint).Subscribe(endpoint);
        var flow = await Ingress.OpenFlowAsync(D, endpoint);
        var sent = RandomNumberGenerator.GetBytes(bytes);
        var receiving = RelayMesh.ReceiveAsync(sink);
        await flow.WriteAsync(sent.AsMemory(0, sent.Length / 2));
        await RelayMesh.WaitUntilAsync(() => flow.CurrentPath.Count == 4 && flow.Sender.Acknowledged == flow.Sender.ChunksWritten, TimeSpan.FromSeconds(10));
        Assert.Equal([A, B, C, D], flow.CurrentPath);

        await fault();
        await flow.WriteAsync(sent.AsMemory(sent.Length / 2));
        flow.CompleteWriting();
        await flow.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        var delivered = await receiving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent.AsSpan().SequenceEqual(delivered), "delivered bytes differ from sent bytes");
        Assert.Equal(expectedPath ?? [A, B, C, D], flow.CurrentPath);
        Assert.NotEmpty(flow.FailoverTimes);
        return flow;
    }
}

public sealed class RoomNodesOverTcpTests(ITestOutputHelper output) : RoomNodesTests(output, "tcp");

public sealed class RoomNodesOverQuicTests(ITestOutputHelper output) : RoomNodesTests(output, "quic");
