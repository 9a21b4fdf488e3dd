using System.Security.Cryptography;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Probe.Transport;
using Msdn.Tests.Common;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// With a delay on every link, both ways, flows busy in both directions of the mesh (<see cref="RelayMesh"/>:
/// primary A>B>C, backup A>D>C), a fault at one hop after another (a relay killed, a link cut silently, a
/// relay that stops reading the hop before it): every flow either moves on (acks advance, or it fails over)
/// or ends with a reason, within a bound, every time. Once the faults are lifted every flow completes with
/// exactly the bytes written. A wait on a peer without a deadline anywhere on a failure path (multiplexer
/// credit, a delay line, a close, a splice) shows here as a flow that does neither.
/// </summary>
public abstract class NoFlowHangsTests(ITestOutputHelper output, string transport, int runs)
{
    private static readonly RoomId A = RelayMesh.A, B = RelayMesh.B, C = RelayMesh.C, D = RelayMesh.D;

    /// <summary>A fault at one hop of the mesh.</summary>
    public enum Fault
    {
        KillTransit,
        KillBackupTransit,
        CutFirstHop,
        CutSecondHop,
        TransitStopsReadingDownstream,
        KillTransitThenCutBackup,
    }

    /// <summary>The longest any flow may take to move or end after a fault (ack timeout and path set-up are 1 s here).</summary>
    private static readonly TimeSpan MoveBound = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task Every_flow_moves_or_ends_after_every_fault_with_delays_on_every_link()
    {
        Skip.If(transport == "quic" && !QuicSupport.IsAvailable, QuicSupport.Missing);
        var total = int.TryParse(Environment.GetEnvironmentVariable("MSDN_HANG_RUNS"), out var asked) && asked > 0 ? asked : runs;
        var faults = Enum.GetValues<Fault>();
        var longest = TimeSpan.Zero;
        var hung = new List<string>();
        for (var run = 0; run < total; run++)
        {
            var fault = faults[run % faults.Length];
            var took = await RunOnceAsync(fault, run, hung);
            longest = took > longest ? took : longest;
        }

        output.WriteLine($"{transport}: {total} runs × 1 fault, 3 flows each, delays on every link: {hung.Count} flows hung; longest time to move or end {longest.TotalMilliseconds:F0} ms");
        Assert.True(hung.Count == 0, string.Join("; ", hung));
    }

    private async Task<TimeSpan> RunOnceAsync(Fault fault, int run, List<string> hung)
    {
        var options = new RelayNodeOptions { AckTimeout = TimeSpan.FromSeconds(1), PathSetupTimeout = TimeSpan.FromSeconds(1), CloseTimeout = TimeSpan.FromSeconds(1) };
        await using var mesh = await RelayMesh.StartAsync(null, options, transport);
        var rooms = new[] { A, B, C, D };
        foreach (var from in rooms)
        {
            foreach (var to in rooms.Where(r => r != from))
            {
                mesh.Impairments[from].Impair(mesh.Relays[to].LocalEndPoint, new LinkImpairment(TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(10)));
            }
        }

        var flows = new List<Carried>();
        for (var i = 0; i < 3; i++)
        {
            var endpoint = $"sink-{i}";
            var sink = mesh.Relays[C].Subscribe(endpoint);
            var flow = await mesh.Relays[A].OpenFlowAsync(C, endpoint);
            flows.Add(new Carried(flow, RelayMesh.ReceiveAsync(sink)));
        }

        using var writing = new CancellationTokenSource();
        var writers = flows.Select(f => Task.Run(() => f.WriteUntilAsync(writing.Token))).ToArray();
        await RelayMesh.WaitUntilAsync(() => flows.All(f => f.Flow.Sender.Acknowledged > 4), TimeSpan.FromSeconds(20));

        var before = flows.Select(f => f.Progress()).ToArray();
        var cuts = new List<(RoomId From, RoomId To)>();
        var faultAt = TimeProvider.System.GetTimestamp();
        switch (fault)
        {
            case Fault.KillTransit:
                await mesh.KillAsync(B);
                break;
            case Fault.KillBackupTransit:
                await mesh.KillAsync(D); // not on the flows' path: nothing should stop
                break;
            case Fault.CutFirstHop:
                cuts.Add((A, B));
                break;
            case Fault.CutSecondHop:
                cuts.Add((B, C));
                break;
            case Fault.TransitStopsReadingDownstream:
                // B's streams toward C stall both ways: C's acks are not read, C's credit for B runs out.
                cuts.Add((B, C));
                mesh.Relays[C].LinkDown(C, B);
                break;
            case Fault.KillTransitThenCutBackup:
                await mesh.KillAsync(B);
                cuts.Add((A, D));
                break;
        }

        var cutEndpoints = cuts.Select(c => (c.From, To: mesh.Relays[c.To].LocalEndPoint)).ToList();
        cutEndpoints.ForEach(c => mesh.Impairments[c.From].Cut(c.To));

        // Each flow must move (acks advance or it fails over) or end, within the bound.
        var longest = TimeSpan.Zero;
        for (var i = 0; i < flows.Count; i++)
        {
            var flow = flows[i];
            var first = before[i];
            var moved = await WaitForAsync(() => flow.Progress() != first || flow.Flow.Completion.IsCompleted, MoveBound);
            var took = TimeProvider.System.GetElapsedTime(faultAt);
            if (!moved)
            {
                hung.Add($"run {run} ({fault}): flow {flow.Flow.Id} on {string.Join('>', flow.Flow.CurrentPath)} neither moved nor ended in {MoveBound.TotalSeconds:F0} s ({flow.Flow.Failovers} failovers)");
            }
            else
            {
                longest = took > longest ? took : longest;
            }
        }

        // The bad day ends: relays back, links whole. Every flow then completes with exactly what was written.
        cutEndpoints.ForEach(c => mesh.Impairments[c.From].Restore(c.To));
        foreach (var room in new[] { B, D }.Where(r => !mesh.Relays.ContainsKey(r)))
        {
            await mesh.RestartAsync(room);
        }

        foreach (var (from, to) in new[] { (A, B), (B, C), (A, D), (D, C), (C, B) })
        {
            mesh.Relays[from].LinkUp(from, to);
        }

        await writing.CancelAsync();
        if (!await WaitForAsync(() => writers.All(w => w.IsCompleted), TimeSpan.FromSeconds(60)))
        {
            hung.Add($"run {run} ({fault}): a writer still waits for its flow's window a minute after the faults were lifted");
            return longest;
        }

        foreach (var flow in flows)
        {
            flow.Flow.CompleteWriting();
            var completed = await WaitForAsync(() => flow.Flow.Completion.IsCompleted, TimeSpan.FromSeconds(60));
            if (!completed)
            {
                hung.Add($"run {run} ({fault}): flow {flow.Flow.Id} did not complete after the faults were lifted: path {string.Join('>', flow.Flow.CurrentPath)}, acked {flow.Flow.Sender.Acknowledged}/{flow.Flow.Sender.ChunksWritten}");
                continue;
            }

            await flow.Flow.Completion;
            var delivered = await flow.Receiving.WaitAsync(TimeSpan.FromSeconds(30));
            var sent = flow.Written.ToArray();
            Assert.True(sent.AsSpan().SequenceEqual(delivered), $"run {run} ({fault}): sent {sent.Length} B, delivered {delivered.Length} B, first difference at {sent.AsSpan().CommonPrefixLength(delivered)}");
        }

        // Nothing is left behind: every relay's splices, deliveries and flows end with them.
        if (!await WaitForAsync(() => mesh.Relays.Values.All(r => r.ActiveFlows == 0), TimeSpan.FromSeconds(10)))
        {
            hung.Add($"run {run} ({fault}): flows still counted after all completed: {string.Join(", ", mesh.Relays.Select(r => $"{r.Key} {r.Value.ActiveFlows}"))}");
        }

        return longest;
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > limit)
            {
                return false;
            }

            await timer.WaitForNextTickAsync();
        }

        return true;
    }

    /// <summary>A flow, what was written to it, and its delivery at the far end.</summary>
    private sealed class Carried(RelayFlow flow, Task<byte[]> receiving)
    {
        public RelayFlow Flow => flow;

        public Task<byte[]> Receiving => receiving;

        public MemoryStream Written { get; } = new();

        /// <summary>What moving means: acks advanced, or the flow failed over or moved to another path.</summary>
        public (ulong Acked, int Failovers, int Moves) Progress() => (flow.Sender.Acknowledged, flow.Failovers, flow.Moves);

        /// <summary>Writes 16 KiB blocks until told to stop (waiting, like any writer, while the flow's window is full: a block is taken whole).</summary>
        public async Task WriteUntilAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var block = RandomNumberGenerator.GetBytes(16 * 1024);
                Written.Write(block);
                await flow.WriteAsync(block, CancellationToken.None);
            }
        }
    }
}

public sealed class NoFlowHangsOverTcpTests(ITestOutputHelper output) : NoFlowHangsTests(output, "tcp", runs: 12);

public sealed class NoFlowHangsOverQuicTests(ITestOutputHelper output) : NoFlowHangsTests(output, "quic", runs: 6);
