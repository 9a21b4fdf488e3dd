using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Topology;
using Msdn.Overlay.Relay;
using Msdn.Probe.Transport;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// Random fault schedules against real relays (<see cref="RelayMesh"/>: primary A>B>C, backup A>D>C):
/// kills and restarts of the middle relays, silent cuts and restorations of any link, delays, down
/// signals — with data written between every step. Whatever the schedule, once the faults are lifted
/// the destination has exactly the bytes written, in order, once.
/// </summary>
public sealed class RelayChaosPropertyTests
{
    public enum FaultKind
    {
        Kill,
        Restart,
        Cut,
        Restore,
        Delay,
        DownSignal,
        UpSignal,
    }

    public sealed record Fault(FaultKind Kind, int Link, int Bytes)
    {
        public override string ToString() => $"{Kind} {Links[Link].From}>{Links[Link].To} then {Bytes} B";
    }

    /// <summary>The links of the mesh a fault may hit (kills hit the link's far end: B or D, or C).</summary>
    private static readonly (RoomId From, RoomId To)[] Links = [(RelayMesh.A, RelayMesh.B), (RelayMesh.B, RelayMesh.C), (RelayMesh.A, RelayMesh.D), (RelayMesh.D, RelayMesh.C)];

    public static Arbitrary<Fault[]> Schedules() =>
        Gen.ArrayOf(
                from kind in Gen.Elements(Enum.GetValues<FaultKind>())
                from link in Gen.Choose(0, Links.Length - 1)
                from bytes in Gen.Choose(0, 200_000)
                select new Fault(kind, link, bytes))
            .Select(faults => faults.Take(8).ToArray())
            .ToArbitrary();

    [Property(Arbitrary = [typeof(RelayChaosPropertyTests)], MaxTest = 25)]
    public async Task<bool> Delivered_equals_sent_whatever_the_fault_schedule(Fault[] schedule)
    {
        // Short timeouts: a spurious failover on a busy machine costs time, never bytes.
        await using var mesh = await RelayMesh.StartAsync(null, new RelayNodeOptions { AckTimeout = TimeSpan.FromMilliseconds(300), PathSetupTimeout = TimeSpan.FromSeconds(1) });
        var sink = mesh.Relays[RelayMesh.C].Subscribe("sink");
        var flow = await mesh.Relays[RelayMesh.A].OpenFlowAsync(RelayMesh.C, "sink");
        var receiving = RelayMesh.ReceiveAsync(sink);
        var written = new MemoryStream();
        var cuts = new List<(RoomId From, System.Net.EndPoint To)>();
        async Task WriteAsync(int bytes)
        {
            var block = RandomNumberGenerator.GetBytes(bytes);
            written.Write(block);
            await flow.WriteAsync(block);
        }

        await WriteAsync(50_000);
        foreach (var fault in schedule)
        {
            var (from, to) = Links[fault.Link];
            switch (fault.Kind)
            {
                case FaultKind.Kill when to != RelayMesh.C:
                    await mesh.KillAsync(to);
                    break;
                case FaultKind.Restart when !mesh.Relays.ContainsKey(to):
                    await mesh.RestartAsync(to);
                    break;
                case FaultKind.Cut when mesh.Relays.ContainsKey(from) && mesh.Relays.ContainsKey(to):
                    mesh.Impairments[from].Cut(mesh.Relays[to].LocalEndPoint);
                    cuts.Add((from, mesh.Relays[to].LocalEndPoint));
                    break;
                case FaultKind.Restore:
                    cuts.Where(c => c.From == from).ToList().ForEach(c => mesh.Impairments[c.From].Restore(c.To));
                    break;
                case FaultKind.Delay when mesh.Relays.ContainsKey(to):
                    mesh.Impairments[from].Impair(mesh.Relays[to].LocalEndPoint, new LinkImpairment(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(20)));
                    break;
                case FaultKind.DownSignal:
                    mesh.Relays[RelayMesh.A].LinkDown(from, to);
                    break;
                case FaultKind.UpSignal:
                    mesh.Relays[RelayMesh.A].LinkUp(from, to);
                    break;
            }

            await WriteAsync(fault.Bytes);
        }

        // The bad day ends: every relay back, every link whole, no link reported down.
        foreach (var room in new[] { RelayMesh.B, RelayMesh.D }.Where(r => !mesh.Relays.ContainsKey(r)))
        {
            await mesh.RestartAsync(room);
        }

        cuts.ForEach(c => mesh.Impairments[c.From].Restore(c.To));
        foreach (var (from, to) in Links)
        {
            mesh.Relays[RelayMesh.A].LinkUp(from, to);
        }

        flow.CompleteWriting();
        var state = () => $"path {string.Join('>', flow.CurrentPath)}, {flow.Failovers} failovers, acked {flow.Sender.Acknowledged}/{flow.Sender.ChunksWritten} chunks";
        try
        {
            await flow.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the flow did not complete after the faults were lifted: {state()}");
        }

        var delivered = await receiving.WaitAsync(TimeSpan.FromSeconds(30));
        var sent = written.ToArray();
        Assert.True(sent.AsSpan().SequenceEqual(delivered), $"sent {sent.Length} B, delivered {delivered.Length} B, first difference at {sent.AsSpan().CommonPrefixLength(delivered)}; {state()}");
        return true;
    }
}
