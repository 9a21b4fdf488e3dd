using System.Diagnostics;
using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Relay;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The relays' data plane in virtual time. The decisions are the relay's own code: which path
/// (<see cref="PathChoice"/> with <see cref="LocalDetour"/>), what to resend (<see cref="FlowSender"/>),
/// what to deliver (<see cref="FlowReceiver"/>). Around them, the relay's failover triggers as it has them:
/// its probe agent's down signal for a link of the path, a transit relay naming a peer it lost (a killed
/// relay's connections reset at once), a draining relay refusing, and no ack for
/// <see cref="RelayNodeOptions.AckTimeout"/> (<see cref="RelayNodeOptions.PathSetupTimeout"/> on a new path).
/// Each hop is one ordered stream: segments cross it after the link's one-way delay, a lost segment costs a
/// retransmission, and everything in flight on a path a fault broke is lost (the sender still holds it).
/// </summary>
internal sealed class VirtualDataPlane
{
    private readonly VirtualWorld _world;
    private readonly VirtualProbing _probing;
    private readonly EventQueue _queue;
    private readonly RoomId[] _ids;
    private readonly Dictionary<RoomId, int> _index;
    private readonly RelayNodeOptions _options;
    private readonly Func<long> _now;

    public VirtualDataPlane(VirtualWorld world, VirtualProbing probing, EventQueue queue, RoomId[] ids, RelayNodeOptions options, Func<long> now)
    {
        _world = world;
        _probing = probing;
        _queue = queue;
        _ids = ids;
        _index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        _options = options;
        _now = now;
        Relays = [.. Enumerable.Range(0, ids.Length).Select(i => new VirtualRelay(i))];
    }

    public VirtualRelay[] Relays { get; }

    public List<VirtualFlow> Flows { get; } = [];

    private long Now => _now();

    private static long Us(TimeSpan span) => (long)span.TotalMicroseconds;

    /// <summary>Virtual microseconds as Stopwatch ticks (what the drill flows stamp and log).</summary>
    public static long Ticks(long us) => us * (Stopwatch.Frequency / 1_000_000);

    // ---- writers ----

    /// <summary>Starts a flow's writer at the drill's start: records at its rate every 10 ms until the end.</summary>
    public void StartWriter(VirtualFlow flow, long endUs)
    {
        Flows.Add(flow);
        _queue.At(Now, () => ChoosePatiently(flow)); // the engine opens the flow, then writes
        _queue.At(Now, () => Write(flow, Now, endUs));
        _queue.At(Now + Us(_options.WatchdogInterval), () => Watchdog(flow));
    }

    private void Write(VirtualFlow flow, long startUs, long endUs)
    {
        if (flow.Done)
        {
            return;
        }

        if (!_world.Alive[flow.From])
        {
            flow.Drill.Fail("writer: the ingress relay died");
            flow.Done = true;
            return;
        }

        var elapsed = (Math.Min(Now, endUs) - startUs) / 1e6;
        if (flow.Sender.BufferedBytes + flow.Drill.PendingBytes(elapsed) <= flow.Sender.MaxUnacknowledgedBytes)
        {
            var records = flow.Drill.TakeDue(elapsed, Ticks(Now));
            if (records.Length > 0)
            {
                var written = flow.Sender.WriteAsync(records, CancellationToken.None);
                Debug.Assert(written.IsCompletedSuccessfully, "room was checked");
                Pump(flow);
            }
        }

        if (Now >= endUs)
        {
            flow.WritesDone = true;
            return;
        }

        _queue.At(Now + 10_000, () => Write(flow, startUs, endUs));
    }

    // ---- paths ----

    private void ChoosePatiently(VirtualFlow flow)
    {
        if (flow.Done || flow.Run is not null)
        {
            return;
        }

        if (Choose(flow) is not { } path)
        {
            flow.NoRouteSinceUs ??= Now;
            if (Now - flow.NoRouteSinceUs.Value >= Us(_options.NoRouteGrace))
            {
                flow.Drill.Fail($"no route from {_ids[flow.From]} to {_ids[flow.To]} for {_options.NoRouteGrace.TotalSeconds:F0} s");
                flow.Done = true;
                return;
            }

            _queue.At(Now + (4 * Us(_options.WatchdogInterval)), () => ChoosePatiently(flow));
            return;
        }

        flow.NoRouteSinceUs = null;
        if (flow.Failed.Any(f => f.SequenceEqual(path)))
        {
            flow.Failed.Clear(); // every candidate failed: a new round, from the best
        }

        Open(flow, path);
    }

    /// <summary>The ingress relay's choice for the flow now (<see cref="PathChoice"/>), null while its table has no route.</summary>
    private RoomId[]? Choose(VirtualFlow flow)
    {
        var relay = Relays[flow.From];
        try
        {
            return PathChoice.Choose(relay.Table, _ids[flow.From], _ids[flow.To], flow.Failed, (a, b) => IsDown(relay, a, b), () => LiveLinks(relay));
        }
        catch (NoRouteException)
        {
            return null;
        }
    }

    private bool IsDown(VirtualRelay relay, RoomId from, RoomId to)
    {
        var b = _index[to];
        return (_index[from] == relay.Room && relay.DownLinks.Contains(b))
            || (relay.Unreachable.TryGetValue(b, out var until) && Now < until);
    }

    private IEnumerable<(RoomId Peer, double CostMs)> LiveLinks(VirtualRelay relay)
    {
        for (var b = 0; b < _ids.Length; b++)
        {
            if (b != relay.Room && _probing.Values(relay.Room, b) is { Up: true } link)
            {
                yield return (_ids[b], link.RttMs); // as its agent reports it (a quiet link's probes may be running on another core)
            }
        }
    }

    private void Open(VirtualFlow flow, RoomId[] path)
    {
        var rooms = path.Select(r => _index[r]).ToArray();
        var run = new PathRun(rooms, path) { LastArrivalUs = Now, LastAckUs = Now };
        flow.Run = run;
        flow.LastProgressUs = Now;
        for (var i = 0; i < rooms.Length - 1; i++)
        {
            UseNextHop(rooms[i], rooms[i + 1], +1);
        }

        flow.Sender.Rewind();

        // The Open frame goes hop by hop: a dead relay is refused at once (its peer names it back), a
        // draining transit relay refuses; a silently cut hop just never answers (the set-up timeout, or a down signal).
        var t = Now;
        for (var i = 0; i < rooms.Length - 1; i++)
        {
            int a = rooms[i], b = rooms[i + 1];
            if (_world.IsCut(a, b) || _world.IsCut(b, a))
            {
                break;
            }

            var hop = (long)(_world.RttMs(a, b) * 1000);
            if (!_world.Alive[b])
            {
                FailLater(flow, run, t + hop + BackTo(rooms, i), unreachable: b);
                break;
            }

            t += hop / 2;
            if (_world.Draining[b] && i + 1 < rooms.Length - 1)
            {
                FailLater(flow, run, t + BackTo(rooms, i + 1), unreachable: null);
                break;
            }
        }

        if (flow.Sender.Acknowledged == flow.Sender.ChunksWritten)
        {
            flow.FaultAtUs = null; // nothing was waiting: the failover is over as soon as the new path is open
        }

        Pump(flow);
    }

    /// <summary>Microseconds for a message from the path's room at <paramref name="index"/> back to the ingress.</summary>
    private long BackTo(int[] rooms, int index)
    {
        long t = 0;
        for (var i = index; i > 0; i--)
        {
            t += (long)(_world.RttMs(rooms[i], rooms[i - 1]) * 500);
        }

        return t;
    }

    private void FailLater(VirtualFlow flow, PathRun run, long atUs, int? unreachable) =>
        _queue.At(atUs, () =>
        {
            if (flow.Run == run)
            {
                Fail(flow, unreachable);
            }
        });

    /// <summary>The path carrying the flow failed: rule it out, remember a lost peer, and take the next path.</summary>
    public void Fail(VirtualFlow flow, int? unreachable)
    {
        var run = flow.Run;
        if (run is null || flow.Done)
        {
            return;
        }

        flow.FaultAtUs ??= Now;
        if (run.Established)
        {
            flow.Failed.Clear(); // the path worked for a while: earlier failures are old news
        }

        flow.Failed.Add(run.Ids);
        if (unreachable is { } lost)
        {
            Relays[flow.From].Unreachable[lost] = Now + Us(RelayNode.UnreachableFor);
        }

        Leave(flow, run);
        var next = Choose(flow);
        if (next is null || flow.Failed.Any(f => f.SequenceEqual(next)))
        {
            _queue.At(Now + Us(_options.WatchdogInterval), () => ChoosePatiently(flow)); // nothing untried: pause first
        }
        else
        {
            ChoosePatiently(flow);
        }
    }

    private void Leave(VirtualFlow flow, PathRun run)
    {
        flow.Run = null;
        for (var i = 0; i < run.Rooms.Length - 1; i++)
        {
            UseNextHop(run.Rooms[i], run.Rooms[i + 1], -1);
        }
    }

    private void UseNextHop(int a, int b, int delta)
    {
        var uses = Relays[a].NextHopUse;
        var count = uses.GetValueOrDefault(b) + delta;
        if (count == 0)
        {
            uses.Remove(b);
            _probing.SetActive(a, b, false, Now / 1000);
        }
        else
        {
            uses[b] = count;
            if (count == 1 && delta > 0)
            {
                _probing.SetActive(a, b, true, Now / 1000);
            }
        }
    }

    // ---- data and acks ----

    private void Pump(VirtualFlow flow)
    {
        if (flow.Run is not { } run)
        {
            return;
        }

        while (flow.Sender.TryTakeNext(out var chunk))
        {
            Transmit(flow, run, new FlowChunk(chunk.Sequence, chunk.Payload.ToArray())); // the sender reuses its buffer once acked
        }
    }

    /// <summary>
    /// Microseconds for a segment to cross the path hop by hop, forward or (for acks) back: each hop's
    /// one-way delay and any retransmission; null when a hop cannot carry it (a dead relay, a cut).
    /// </summary>
    private double? CrossingUs(int[] rooms, bool back)
    {
        var us = 0.0;
        for (var i = 0; i < rooms.Length - 1; i++)
        {
            var (a, b) = back ? (rooms[^(i + 1)], rooms[^(i + 2)]) : (rooms[i], rooms[i + 1]);
            if (!_world.Carries(a, b))
            {
                return null;
            }

            us += (_world.OneWayMs(a, b) + _world.RetransmitDelayMs(a, b)) * 1000;
        }

        return us;
    }

    private void Transmit(VirtualFlow flow, PathRun run, FlowChunk chunk)
    {
        if (CrossingUs(run.Rooms, back: false) is not { } crossing)
        {
            return; // held by a dead hop: the sender still has it
        }

        var arrival = Math.Max((long)(Now + crossing), run.LastArrivalUs + 1);
        run.LastArrivalUs = arrival;
        _queue.At(arrival, () => Deliver(flow, run, chunk));
    }

    private void Deliver(VirtualFlow flow, PathRun run, FlowChunk chunk)
    {
        if (run.BrokenUs <= Now || !_world.Alive[flow.To])
        {
            return; // a fault broke the path while this was on it
        }

        flow.DeliveredAtTicks = Ticks(Now);
        flow.Receiver.Accept(chunk);
        if (CrossingUs(run.Rooms, back: true) is not { } crossing)
        {
            return;
        }

        var arrival = Math.Max((long)(Now + crossing), run.LastAckUs + 1);
        run.LastAckUs = arrival;
        var next = flow.Receiver.NextExpected;
        _queue.At(arrival, () => Ack(flow, run, next));
    }

    private void Ack(VirtualFlow flow, PathRun run, ulong nextExpected)
    {
        if (flow.Run != run || run.BrokenUs <= Now)
        {
            return; // an abandoned or broken path's ack never reaches the ingress's current stream
        }

        var before = flow.Sender.Acknowledged;
        flow.Sender.Acknowledge(nextExpected);
        run.Established = true;
        if (flow.Sender.Acknowledged > before)
        {
            flow.LastProgressUs = Now;
            flow.FaultAtUs = null; // the failover (if any) is over: an ack came through
        }
    }

    /// <summary>The ingress's watchdog: the flow completes when all is acked after the last write; no ack progress for too long fails the path.</summary>
    private void Watchdog(VirtualFlow flow)
    {
        if (flow.Done)
        {
            return;
        }

        if (flow.Complete)
        {
            flow.Done = true;
            if (flow.Run is { } finished)
            {
                Leave(flow, finished);
            }

            return;
        }

        if (flow.Run is { } run)
        {
            var stalled = Now - flow.LastProgressUs;
            var patience = Us(run.Established ? _options.AckTimeout : _options.PathSetupTimeout);
            if (flow.Sender.Acknowledged < flow.Sender.ChunksWritten && stalled > patience)
            {
                Fail(flow, null);
            }
            else if (flow.Sender.Acknowledged == flow.Sender.ChunksWritten)
            {
                flow.LastProgressUs = Now; // idle, not stalled
            }
        }

        _queue.At(Now + Us(_options.WatchdogInterval), () => Watchdog(flow));
    }

    /// <summary>A relay got a new route table: its established flows move to a better primary it gives them, as the relay's watchdog does.</summary>
    public void TableArrived(int room)
    {
        var relay = Relays[room];
        foreach (var flow in Flows.Where(f => f.From == room && !f.Done && f.Run is { Established: true } && f.FaultAtUs is null).ToList())
        {
            if (PathChoice.BetterPrimary(relay.Table, _ids[room], _ids[flow.To], flow.Run!.Ids, flow.Failed, (a, b) => IsDown(relay, a, b)) is { } better)
            {
                Leave(flow, flow.Run);
                Open(flow, better);
            }
        }
    }

    // ---- signals from the world and the probe agents ----

    /// <summary>Room a's probe agent declared its link to b down or up.</summary>
    public void LinkState(int a, int b, bool up)
    {
        var relay = Relays[a];
        if (up)
        {
            relay.DownLinks.Remove(b);
            relay.Unreachable.Remove(b);
            return;
        }

        relay.DownLinks.Add(b);
        foreach (var flow in Flows.Where(f => f.From == a && f.Run is { } run && run.Rooms.Length > 1 && run.Rooms[1] == b).ToList())
        {
            Fail(flow, null);
        }
    }

    /// <summary>A relay died: every path through it breaks now; the relay before it on each path sees its connection reset and names it back to the ingress.</summary>
    public void Killed(int room)
    {
        foreach (var flow in Flows)
        {
            if (flow.Run is not { } run || run.IndexOf(room) <= 0)
            {
                continue;
            }

            var at = run.IndexOf(room);
            run.BrokenUs = Math.Min(run.BrokenUs, Now);
            var upstream = run.Rooms[at - 1];
            FailLater(flow, run, Now + (long)(_world.RttMs(room, upstream) * 500) + BackTo(run.Rooms, at - 1), unreachable: room);
        }
    }

    /// <summary>A link was cut (both ways): paths over it break silently; their ingress finds out by its probe or the ack watchdog.</summary>
    public void Cut(int a, int b)
    {
        foreach (var flow in Flows)
        {
            if (flow.Run is { } run && run.Crosses(a, b))
            {
                run.BrokenUs = Math.Min(run.BrokenUs, Now);
            }
        }
    }

    /// <summary>A relay started draining: the flows it carries in transit are closed back to their ingress, which takes another path.</summary>
    public void Draining(int room)
    {
        foreach (var flow in Flows)
        {
            if (flow.Run is { } run && run.IndexOf(room) is var at and > 0 && at < run.Rooms.Length - 1)
            {
                FailLater(flow, run, Now + BackTo(run.Rooms, at), unreachable: null);
            }
        }
    }
}
