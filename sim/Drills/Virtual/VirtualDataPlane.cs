using System.Diagnostics;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Relay;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The relays' data plane in virtual time. The decisions are the relay's own code: each flow's
/// <see cref="FlowCore"/> (which path, when it is broken, failover, replay, moves to a better primary,
/// waiting for a route), each relay's <see cref="PathKnowledge"/> and <see cref="NextHopUsage"/>, the real
/// <see cref="FlowSender"/> and <see cref="FlowReceiver"/>. This class plays the I/O around them, as the
/// relay's streams would: the Open frame hop by hop (a dead relay refused at once and named back by its
/// peer, a draining transit relay refusing, a silently cut hop never answering), data and acks crossing
/// each hop as one ordered stream after the link's one-way delay (a lost segment costs a retransmission),
/// and everything in flight on a path a fault broke lost (the sender still holds it). The flow's end is
/// not sent as a frame here: a flow is complete once everything written is acknowledged.
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
    private readonly VirtualClock _clock;

    public VirtualDataPlane(VirtualWorld world, VirtualProbing probing, EventQueue queue, RoomId[] ids, RelayNodeOptions options, Func<long> now)
    {
        _world = world;
        _probing = probing;
        _queue = queue;
        _ids = ids;
        _index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        _options = options;
        _now = now;
        _clock = new VirtualClock(now);
        Relays = [.. Enumerable.Range(0, ids.Length).Select(NewRelay)];
    }

    public VirtualRelay[] Relays { get; }

    public List<VirtualFlow> Flows { get; } = [];

    private long Now => _now();

    private static long Us(TimeSpan span) => (long)span.TotalMicroseconds;

    /// <summary>Virtual microseconds as Stopwatch ticks (what the drill flows stamp and log).</summary>
    public static long Ticks(long us) => us * (Stopwatch.Frequency / 1_000_000);

    private VirtualRelay NewRelay(int room)
    {
        var relay = new VirtualRelay(room, _ids[room], _clock);
        relay.Knowledge.LiveLinks = () => LiveLinks(relay);
        relay.NextHops.Changed += (peer, active) => _probing.SetActive(room, _index[peer], active, Now / 1000);
        return relay;
    }

    /// <summary>A flow from room <paramref name="from"/> to <paramref name="to"/>, driven by its ingress relay's flow core.</summary>
    public VirtualFlow NewFlow(DrillFlow drill, int from, int to, long maxUnacknowledgedBytes)
    {
        var relay = Relays[from];
        var core = new FlowCore(_ids[from], _ids[to], new FlowSender(maxUnacknowledgedBytes: maxUnacknowledgedBytes), relay.Knowledge, () => relay.Table, _options, _clock);
        drill.TrackPathChanges();
        return new VirtualFlow(drill, from, to, core);
    }

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
            flow.Core.CompleteWriting();
            return;
        }

        _queue.At(Now + 10_000, () => Write(flow, startUs, endUs));
    }

    // ---- paths ----

    private void ChoosePatiently(VirtualFlow flow)
    {
        if (flow.Done || flow.Attempt is not null)
        {
            return;
        }

        var next = flow.Core.ChooseNext();
        if (next.GiveUp is not null)
        {
            flow.Drill.Fail($"no route from {_ids[flow.From]} to {_ids[flow.To]} for {_options.NoRouteGrace.TotalSeconds:F0} s");
            flow.Done = true;
        }
        else if (next.Path is { } path)
        {
            Open(flow, path);
        }
        else
        {
            _queue.At(Now + Us(next.RetryAfter), () => ChoosePatiently(flow));
        }
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

    /// <summary>Carries the flow on the path its core took: every relay on it uses its next hop, and the Open frame goes hop by hop.</summary>
    private void Open(VirtualFlow flow, RoomId[] path)
    {
        var rooms = path.Select(r => _index[r]).ToArray();
        var hops = new NextHopUsage.Lease[rooms.Length - 1];
        var attempt = new PathAttempt(rooms, hops) { LastArrivalUs = Now, LastAckUs = Now };
        flow.Attempt = attempt;
        flow.Drill.OnPath(Now / 1e6, [.. path.Select(r => r.Value)]);
        for (var i = 0; i < rooms.Length - 1; i++)
        {
            hops[i] = Relays[rooms[i]].NextHops.Use(path[i + 1]);
        }

        flow.Core.Opened();

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
                FailLater(flow, attempt, t + hop + BackTo(rooms, i), lost: b);
                break;
            }

            t += hop / 2;
            if (_world.Draining[b] && i + 1 < rooms.Length - 1)
            {
                FailLater(flow, attempt, t + BackTo(rooms, i + 1), lost: null);
                break;
            }
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

    private void FailLater(VirtualFlow flow, PathAttempt attempt, long atUs, int? lost) =>
        _queue.At(atUs, () =>
        {
            if (flow.Attempt == attempt)
            {
                Fail(flow, lost);
            }
        });

    /// <summary>The path carrying the flow failed: the flow leaves it, and its core decides what comes next.</summary>
    public void Fail(VirtualFlow flow, int? lost)
    {
        if (flow.Attempt is not { } attempt || flow.Done)
        {
            return;
        }

        Leave(flow, attempt);
        flow.Drill.FailedOver(Now / 1e6);
        var failover = flow.Core.PathFailed(lost is { } room ? _ids[room] : (RoomId?)null);
        if (failover.PauseFirst)
        {
            _queue.At(Now + Us(_options.WatchdogInterval), () => ChoosePatiently(flow)); // nothing untried: pause first
        }
        else
        {
            ChoosePatiently(flow);
        }
    }

    private void Leave(VirtualFlow flow, PathAttempt attempt)
    {
        flow.Attempt = null;
        flow.Drill.OnPath(Now / 1e6, null);
        foreach (var hop in attempt.NextHops)
        {
            hop.Dispose();
        }
    }

    // ---- data and acks ----

    private void Pump(VirtualFlow flow)
    {
        if (flow.Attempt is not { } run)
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

    private void Transmit(VirtualFlow flow, PathAttempt run, FlowChunk chunk)
    {
        if (CrossingUs(run.Rooms, back: false) is not { } crossing)
        {
            return; // held by a dead hop: the sender still has it
        }

        var arrival = Math.Max((long)(Now + crossing), run.LastArrivalUs + 1);
        run.LastArrivalUs = arrival;
        _queue.At(arrival, () => Deliver(flow, run, chunk));
    }

    private void Deliver(VirtualFlow flow, PathAttempt run, FlowChunk chunk)
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

    private void Ack(VirtualFlow flow, PathAttempt run, ulong nextExpected)
    {
        if (flow.Attempt != run || run.BrokenUs <= Now)
        {
            return; // an abandoned or broken path's ack never reaches the ingress's current stream
        }

        flow.Core.Acked(nextExpected);
    }

    /// <summary>
    /// The ingress's watchdog (the flow core's verdict while a path carries the flow): the flow is done once
    /// everything written is acknowledged after the last write; a path silent past its patience fails.
    /// </summary>
    private void Watchdog(VirtualFlow flow)
    {
        if (flow.Done)
        {
            return;
        }

        if (flow.Core.Delivered)
        {
            flow.Done = true;
            if (flow.Attempt is { } finished)
            {
                Leave(flow, finished);
            }

            return;
        }

        if (flow.Attempt is not null && flow.Core.Tick().Action == WatchdogAction.Stalled)
        {
            Fail(flow, null);
        }

        _queue.At(Now + Us(_options.WatchdogInterval), () => Watchdog(flow));
    }

    /// <summary>A relay got a new route table: its flows move to a better primary when their cores decide so.</summary>
    public void TableArrived(int room)
    {
        foreach (var flow in Flows.Where(f => f.From == room && !f.Done && f.Attempt is not null).ToList())
        {
            if (flow.Core.ConsiderMove() is not null)
            {
                flow.Drill.Moved(Now / 1e6);
                Leave(flow, flow.Attempt!);
                ChoosePatiently(flow); // the better primary, as the core decided
            }
        }
    }

    // ---- signals from the world and the probe agents ----

    /// <summary>Room a's probe agent declared its link to b down or up.</summary>
    public void LinkState(int a, int b, bool up)
    {
        var knowledge = Relays[a].Knowledge;
        if (up)
        {
            knowledge.LinkUp(_ids[a], _ids[b]);
            return;
        }

        knowledge.LinkDown(_ids[a], _ids[b]);
        foreach (var flow in Flows.Where(f => f.From == a && f.Attempt is not null && f.Core.Crosses(_ids[a], _ids[b])).ToList())
        {
            Fail(flow, null);
        }
    }

    /// <summary>A relay died: every path through it breaks now; the relay before it on each path sees its connection reset and names it back to the ingress.</summary>
    public void Killed(int room)
    {
        foreach (var flow in Flows)
        {
            if (flow.Attempt is not { } run || run.IndexOf(room) <= 0)
            {
                continue;
            }

            var at = run.IndexOf(room);
            run.BrokenUs = Math.Min(run.BrokenUs, Now);
            var upstream = run.Rooms[at - 1];
            FailLater(flow, run, Now + (long)(_world.RttMs(room, upstream) * 500) + BackTo(run.Rooms, at - 1), lost: room);
        }
    }

    /// <summary>A link was cut (both ways): paths over it break silently; their ingress finds out by its probe or the ack watchdog.</summary>
    public void Cut(int a, int b)
    {
        foreach (var flow in Flows)
        {
            if (flow.Attempt is { } run && run.Crosses(a, b))
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
            if (flow.Attempt is { } run && run.IndexOf(room) is var at and > 0 && at < run.Rooms.Length - 1)
            {
                FailLater(flow, run, Now + BackTo(run.Rooms, at), lost: null);
            }
        }
    }
}
