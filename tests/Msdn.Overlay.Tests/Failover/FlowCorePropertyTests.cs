using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Relay;
using static Msdn.Overlay.Tests.Failover.FlowCoreTests;

namespace Msdn.Overlay.Tests.Failover;

/// <summary>
/// A flow core under random sequences of events (writes, acks, failures, down and up signals, rooms suspected
/// in a loss burst and cleared, new tables, time passing, watchdog ticks, moves and rescues): what it decides
/// always follows its rules.
/// </summary>
public sealed class FlowCorePropertyTests
{
    private static readonly RelayNodeOptions Options = new();

    private static readonly (RoomId, RoomId)[] Links = [(A, B), (B, C), (A, D), (D, C), (A, E), (E, C)];

    public static Arbitrary<int[]> Events() => (from length in Gen.Choose(1, 120) from events in Gen.ArrayOf(Gen.Choose(0, 10_000), length) select events).ToArbitrary();

    [Property(Arbitrary = [typeof(FlowCorePropertyTests)], MaxTest = 300)]
    public void Decisions_follow_the_rules_whatever_happens(int[] events)
    {
        var time = new FakeTimeProvider();
        var table = Table();
        var knowledge = new PathKnowledge(A, time) { LiveLinks = () => [(B, 10), (D, 15), (E, 40)] };
        var core = new FlowCore(A, C, new FlowSender(maxChunkBytes: 100, maxUnacknowledgedBytes: long.MaxValue), knowledge, () => table, Options, time);
        var sent = 0UL;
        int failures = 0, moves = 0, rescues = 0;
        var carrying = false;
        foreach (var e in events)
        {
            var arg = e / 13;
            switch (e % 13)
            {
                case 0 when !carrying:
                    var failed = core.FailedPaths;
                    var route = table.Find(A, C)!;
                    var next = core.ChooseNext().Path!;
                    Assert.Equal(A, next[0]);
                    Assert.Equal(C, next[^1]);
                    Assert.Equal(next.Length, next.Distinct().Count());
                    Assert.Equal(core.Sender.Acknowledged, core.ResumeFrom);
                    if (Clean(route.Primary, failed, knowledge))
                    {
                        Assert.Equal(route.Primary, next);
                    }
                    else if (route.Backup is { } backup && Clean(backup, failed, knowledge))
                    {
                        Assert.Equal(backup, next);
                    }

                    core.Opened();
                    carrying = true;
                    sent = core.ResumeFrom;
                    break;
                case 1:
                    core.Sender.WriteAsync(new byte[1 + (arg % 500)], default).AsTask().GetAwaiter().GetResult();
                    break;
                case 2 when carrying:
                    while (core.Sender.TryTakeNext(out var chunk))
                    {
                        sent = chunk.Sequence + 1;
                    }

                    break;
                case 3 when carrying && sent > core.Sender.Acknowledged:
                    var progressed = core.Acked(core.Sender.Acknowledged + 1 + ((ulong)arg % (sent - core.Sender.Acknowledged)));
                    Assert.True(progressed);
                    Assert.Null(core.FaultAt);
                    break;
                case 4 when carrying:
                    var path = core.CurrentPath;
                    var failover = core.PathFailed(arg % 3 == 0 ? path[1] : (RoomId?)null);
                    failures++;
                    carrying = false;
                    Assert.Contains(core.FailedPaths, f => f.SequenceEqual(path));
                    Assert.NotNull(core.FaultAt);
                    Assert.Equal(failover.Next is null || core.FailedPaths.Any(f => f.SequenceEqual(failover.Next)), failover.PauseFirst);
                    break;
                case 5:
                    var (x, y) = Links[arg % Links.Length];
                    knowledge.LinkDown(x, y);
                    break;
                case 6:
                    var (u, v) = Links[arg % Links.Length];
                    knowledge.LinkUp(u, v);
                    break;
                case 7:
                    time.Advance(TimeSpan.FromMilliseconds(arg % 700));
                    break;
                case 8 when carrying:
                    var silentBefore = core.Sender.Acknowledged < core.Sender.ChunksWritten;
                    var crossesDown = !Clean(core.CurrentPath, [], knowledge);
                    var verdict = core.Tick();
                    if (verdict.Action == WatchdogAction.CrossesDownLink)
                    {
                        Assert.False(core.PathEstablished, "a path that has returned acks is judged by its acks");
                        Assert.True(crossesDown);
                        Assert.NotNull(core.FaultAt);
                        core.PathFailed(null); // as the drivers do
                        failures++;
                        carrying = false;
                    }
                    else if (verdict.Action == WatchdogAction.Stalled)
                    {
                        Assert.True(silentBefore, "a path with nothing unacknowledged is idle, not stalled");
                        Assert.InRange(core.SetupPatienceNow, Options.AckTimeout, Options.PathSetupTimeout);
                        Assert.True(verdict.Silence > (core.PathEstablished ? Options.AckTimeout : core.SetupPatienceNow));
                        Assert.NotNull(core.FaultAt);
                    }

                    break;
                case 9:
                    table = Table(abMs: arg % 2 == 0 ? 10 : 40, previous: table);
                    break;
                case 10 when carrying:
                    var before = core.CurrentPath;
                    var established = core.PathEstablished && core.FaultAt is null;
                    if (core.ConsiderMove() is { } better)
                    {
                        Assert.True(established, "only a flow running well on its path moves");
                        Assert.Equal(table.Find(A, C)!.Primary, better);
                        Assert.False(before.SequenceEqual(better));
                        moves++;
                        carrying = false;
                    }

                    break;
                case 11 when carrying:
                    var trying = core.CurrentPath;
                    var failingOver = !core.PathEstablished && core.FaultAt is not null;
                    if (core.ConsiderRescue() is { } rescue)
                    {
                        Assert.True(failingOver, "only an attempt that has not answered, during a failover, is rescued");
                        Assert.Equal(table.Find(A, C)!.Primary, rescue);
                        Assert.False(trying.SequenceEqual(rescue));
                        Assert.True(Clean(rescue, core.FailedPaths, knowledge));
                        rescues++;
                        carrying = false;
                        Assert.Equal(rescue, core.ChooseNext().Path);
                        core.Opened();
                        carrying = true;
                        sent = core.ResumeFrom;
                    }

                    break;
                case 12:
                    knowledge.BurstSuspicion(arg % 2 == 0 ? B : D, suspected: arg % 3 != 0);
                    break;
            }
        }

        Assert.Equal(failures, core.Failovers);
        Assert.Equal(moves, core.Moves);
        Assert.Equal(rescues, core.Rescues);
    }

    private static bool Clean(IReadOnlyList<RoomId> path, IReadOnlyList<IReadOnlyList<RoomId>> failed, PathKnowledge knowledge)
    {
        if (failed.Any(f => f.SequenceEqual(path)))
        {
            return false;
        }

        for (var i = 0; i < path.Count - 1; i++)
        {
            if (knowledge.IsDown(path[i], path[i + 1]))
            {
                return false;
            }
        }

        return true;
    }
}
