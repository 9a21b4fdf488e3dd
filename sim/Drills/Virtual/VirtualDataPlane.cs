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
/// <para>
/// In rooms of several relays each hop takes a relay of the next room as the relay's <see cref="PeerConnections"/>
/// does (rendezvous order by <see cref="NodeAffinity"/> over the room's serving relays, passing over the flow's
/// <see cref="AvoidedNodes"/> and relays that refuse the dial); a relay that dies or drains under a flow is named back
/// to the ingress, which takes the same path again through a sibling; an engine whose relay dies (or lets its flow go
/// past its drain timeout) resumes at a sibling from its last end-to-end ack, as the client library does. Left out:
/// the directory's lag (a dead relay is passed over at once, a draining one is offered to no new hop at once) and
/// the dial a dead relay refuses (no time).
/// </para>
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
    private readonly int _nodesPerRoom;

    /// <summary>With several relays per room: how many of a room's relays carry flows over each link (its agent probes it fast while any does).</summary>
    private readonly int[] _linkUsers;

    /// <summary>An engine whose relay died reconnects to a sibling in its room: a dial and a hello on the room's own network.</summary>
    private const long ResumeDelayUs = 2_000;

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
        _nodesPerRoom = world.NodesPerRoom;
        _linkUsers = _nodesPerRoom > 1 ? new int[ids.Length * ids.Length] : [];
        Relays = [.. Enumerable.Range(0, ids.Length * _nodesPerRoom).Select(NewRelay)];
    }

    public VirtualRelay[] Relays { get; }

    public List<VirtualFlow> Flows { get; } = [];

    private long Now => _now();

    private static long Us(TimeSpan span) => (long)span.TotalMicroseconds;

    /// <summary>Virtual microseconds as Stopwatch ticks (what the drill flows stamp and log).</summary>
    public static long Ticks(long us) => us * (Stopwatch.Frequency / 1_000_000);

    private VirtualRelay NewRelay(int node)
    {
        var room = _world.RoomOfNode(node);
        var relay = new VirtualRelay(node, room, _ids[room], _clock);
        relay.Knowledge.LiveLinks = () => LiveLinks(relay);
        relay.NextHops.Changed += (peer, active) =>
        {
            if (_nodesPerRoom == 1)
            {
                _probing.SetActive(room, _index[peer], active, Now / 1000);
                return;
            }

            var link = (room * _ids.Length) + _index[peer];
            _linkUsers[link] += active ? 1 : -1;
            if (_linkUsers[link] == (active ? 1 : 0))
            {
                _probing.SetActive(room, _index[peer], active, Now / 1000);
            }
        };
        return relay;
    }

    /// <summary>A relay's name in the directory: its room's with one relay per room, <c>room-N/k</c> with several.</summary>
    public string NodeName(int node) => _nodesPerRoom == 1 ? _ids[node].Value : $"{_ids[_world.RoomOfNode(node)].Value}/{node % _nodesPerRoom}";

    /// <summary>
    /// A flow from room <paramref name="from"/> to <paramref name="to"/>, driven by the flow core at the relay its engine
    /// writes through (<paramref name="ingressNode"/>, as the path lookup named it).
    /// </summary>
    public VirtualFlow NewFlow(DrillFlow drill, int from, int to, int ingressNode, long maxUnacknowledgedBytes)
    {
        var relay = Relays[ingressNode];
        var core = new FlowCore(_ids[from], _ids[to], new FlowSender(maxUnacknowledgedBytes: maxUnacknowledgedBytes), relay.Knowledge, () => relay.Table, _options, _clock);
        drill.TrackPathChanges();
        return new VirtualFlow(drill, from, to, ingressNode, core, new AvoidedNodes(_clock));
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

        if (!_world.NodeAlive[flow.IngressNode])
        {
            if (_nodesPerRoom == 1)
            {
                flow.Drill.Fail("writer: the ingress relay died");
                flow.Done = true;
                return;
            }

            _queue.At(Now + 10_000, () => Write(flow, startUs, endUs)); // the engine is resuming at a sibling
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

        // Each hop's relay takes a relay of the next room (-1: none answers; a room of one relay always offers its own).
        var nodes = new int[rooms.Length];
        var noneLeft = new bool[rooms.Length];
        nodes[0] = flow.IngressNode;
        for (var i = 1; i < rooms.Length; i++)
        {
            (nodes[i], noneLeft[i]) = _nodesPerRoom == 1 ? (rooms[i], false) : ChooseNode(flow, rooms[i]);
        }

        var hops = new NextHopUsage.Lease[rooms.Length - 1];
        var attempt = new PathAttempt(rooms, nodes, hops) { LastArrivalUs = Now, LastAckUs = Now };
        flow.Attempt = attempt;
        flow.Drill.OnPath(Now / 1e6, [.. path.Select(r => r.Value)]);
        for (var i = 0; i < rooms.Length - 1; i++)
        {
            hops[i] = Relays[nodes[i] >= 0 ? nodes[i] : rooms[i] * _nodesPerRoom].NextHops.Use(path[i + 1]);
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
            if (nodes[i + 1] < 0 || !_world.NodeAlive[nodes[i + 1]])
            {
                // No relay of the room answers: the room is named back and avoided; every relay of it passed over already: only this path fails.
                FailLater(flow, attempt, t + hop + BackTo(rooms, i), lost: noneLeft[i + 1] ? null : b);
                break;
            }

            t += hop / 2;
            if (_world.Draining[nodes[i + 1]] && i + 1 < rooms.Length - 1)
            {
                FailLater(flow, attempt, t + BackTo(rooms, i + 1), lost: null);
                break;
            }
        }

        Pump(flow);
    }

    /// <summary>
    /// The relay of <paramref name="room"/> a hop takes for the flow, as <see cref="PeerConnections"/> does: the room's
    /// serving relays (all of them when none serves) in rendezvous order for the flow's key, those it avoids passed over,
    /// a dead one refusing the dial (the next is tried). -1 when none answers; <c>NoneLeft</c> when some live relay was
    /// passed over only because the flow avoids it.
    /// </summary>
    private (int Node, bool NoneLeft) ChooseNode(VirtualFlow flow, int room)
    {
        var key = NodeAffinity.For(_ids[flow.From].Value, (ulong)flow.Drill.Index, _ids[flow.To].Value, flow.Drill.Endpoint, _ids[room]);
        var offered = _world.NodesOf(room).Where(k => !_world.Draining[k]).ToList();
        if (offered.Count == 0)
        {
            offered = [.. _world.NodesOf(room)];
        }

        var avoid = flow.Avoided.Now();
        var passedOver = false;
        foreach (var node in NodeChoice.Order(key, offered, NodeName))
        {
            if (avoid.Contains(NodeName(node)))
            {
                passedOver |= _world.NodeAlive[node];
            }
            else if (_world.NodeAlive[node])
            {
                return (node, false);
            }
        }

        return (-1, passedOver);
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
    private double? CrossingUs(PathAttempt run, bool back)
    {
        var (rooms, nodes) = (run.Rooms, run.Nodes);
        var us = 0.0;
        for (var i = 0; i < rooms.Length - 1; i++)
        {
            var (x, y) = back ? (rooms.Length - 1 - i, rooms.Length - 2 - i) : (i, i + 1);
            if (nodes[x] < 0 || nodes[y] < 0 || !_world.Carries(nodes[x], nodes[y]))
            {
                return null;
            }

            var (a, b) = (rooms[x], rooms[y]);

            us += (_world.OneWayMs(a, b) + _world.RetransmitDelayMs(a, b)) * 1000;
        }

        return us;
    }

    private void Transmit(VirtualFlow flow, PathAttempt run, FlowChunk chunk)
    {
        if (CrossingUs(run, back: false) is not { } crossing)
        {
            return; // held by a dead hop: the sender still has it
        }

        var arrival = Math.Max((long)(Now + crossing), run.LastArrivalUs + 1);
        run.LastArrivalUs = arrival;
        _queue.At(arrival, () => Deliver(flow, run, chunk));
    }

    private void Deliver(VirtualFlow flow, PathAttempt run, FlowChunk chunk)
    {
        if (run.BrokenUs <= Now || !_world.NodeAlive[run.Nodes[^1]])
        {
            return; // a fault broke the path while this was on it
        }

        flow.DeliveredAtTicks = Ticks(Now);
        flow.Receiver.Accept(chunk);
        if (CrossingUs(run, back: true) is not { } crossing)
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

        if (flow.Attempt is not null && flow.Core.Tick().Action is WatchdogAction.Stalled or WatchdogAction.CrossesDownLink)
        {
            Fail(flow, null);
        }

        _queue.At(Now + Us(_options.WatchdogInterval), () => Watchdog(flow));
    }

    /// <summary>A relay got a new route table: its flows move to a better primary when their cores decide so.</summary>
    public void TableArrived(int node)
    {
        foreach (var flow in Flows.Where(f => f.IngressNode == node && !f.Done && f.Attempt is not null).ToList())
        {
            if (flow.Core.ConsiderMove() is not null)
            {
                flow.Drill.Moved(Now / 1e6);
                Leave(flow, flow.Attempt!);
                ChoosePatiently(flow); // the better primary, as the core decided
            }
            else if (flow.Core.ConsiderRescue() is not null)
            {
                Leave(flow, flow.Attempt!);
                ChoosePatiently(flow); // the table's primary instead of an attempt still waiting for its first ack
            }
        }
    }

    // ---- signals from the world and the probe agents ----

    /// <summary>Room a's probe agent suspects b cut off (a loss burst), or no longer: every relay of a hears it, as each follows its agent.</summary>
    public void BurstSuspicion(int a, int b, bool suspected)
    {
        foreach (var node in _world.NodesOf(a))
        {
            Relays[node].Knowledge.BurstSuspicion(_ids[b], suspected);
        }
    }

    /// <summary>Room a's probe agent declared its link to b down or up.</summary>
    /// <remarks>With several relays in room a, each of them hears it: the one measuring the link, and any carrying flows over it, which probes it too.</remarks>
    public void LinkState(int a, int b, bool up)
    {
        foreach (var node in _world.NodesOf(a))
        {
            if (up)
            {
                Relays[node].Knowledge.LinkUp(_ids[a], _ids[b]);
            }
            else
            {
                Relays[node].Knowledge.LinkDown(_ids[a], _ids[b]);
            }
        }

        if (up)
        {
            return;
        }

        foreach (var flow in Flows.Where(f => f.From == a && f.Attempt is not null && f.Core.Crosses(_ids[a], _ids[b])).ToList())
        {
            Fail(flow, null);
        }
    }

    /// <summary>
    /// A relay died: every path through it breaks now; the relay before it on each path sees its connection reset and
    /// names it back to the ingress. The engines writing through it resume their flows at a sibling, if it has one.
    /// </summary>
    public void Killed(int node)
    {
        var room = _world.RoomOfNode(node);
        foreach (var flow in Flows)
        {
            if (flow.Done)
            {
                continue;
            }

            if (flow.IngressNode == node && _nodesPerRoom > 1)
            {
                if (flow.Attempt is { } carried)
                {
                    carried.BrokenUs = Math.Min(carried.BrokenUs, Now);
                }

                _queue.At(Now + ResumeDelayUs, () => Resume(flow, node, "its relay died"));
                continue;
            }

            if (flow.Attempt is not { } run || run.IndexOfNode(node) <= 0)
            {
                continue;
            }

            var at = run.IndexOfNode(node);
            run.BrokenUs = Math.Min(run.BrokenUs, Now);
            var upstream = run.Rooms[at - 1];
            NodeLostLater(flow, run, Now + (long)(_world.RttMs(room, upstream) * 500) + BackTo(run.Rooms, at - 1), node, leaving: false);
        }
    }

    /// <summary>
    /// The relay before <paramref name="node"/> on the attempt names it back to the ingress: one that died (its
    /// connection reset) or that is leaving (it drains). The ingress takes the same path again through a sibling of it
    /// when its room lists one it has not passed over (the core's next choice, with nothing marked failed); otherwise the path fails (naming the room, when its last
    /// relay that answered died, so that every flow avoids it).
    /// </summary>
    private void NodeLostLater(VirtualFlow flow, PathAttempt attempt, long atUs, int node, bool leaving) =>
        _queue.At(atUs, () =>
        {
            if (flow.Attempt != attempt || flow.Done)
            {
                return;
            }

            var room = _world.RoomOfNode(node);
            var siblingAnswers = _world.NodesOf(room).Any(k => k != node && _world.NodeAlive[k]);
            if (!leaving && !siblingAnswers)
            {
                Fail(flow, room);
            }
            else if (HasSibling(room, node, flow.Avoided.Now()) && flow.Avoided.Add(NodeName(node)))
            {
                Leave(flow, attempt);
                flow.Drill.FailedOver(Now / 1e6);
                flow.Core.NodeFailed();
                ChoosePatiently(flow); // nothing was marked failed: the core takes the same path again, replaying from the last ack

            }
            else
            {
                Fail(flow, null);
            }
        });

    /// <summary>Whether the room lists a relay other than <paramref name="node"/> and those avoided (as <see cref="PeerConnections.HasSibling"/>).</summary>
    private bool HasSibling(int room, int node, IReadOnlyCollection<string> avoid) =>
        _world.NodesOf(room).Any(k => k != node && !avoid.Contains(NodeName(k)));

    /// <summary>
    /// The flow's engine lost <paramref name="lostNode"/> (it died, or let the flow go past its drain timeout) and resumes
    /// the flow at the next relay of its room that answers: a new core there, numbering from the last end-to-end
    /// ack, with every chunk the engine still holds written again (the egress passes over what it already has).
    /// </summary>
    private void Resume(VirtualFlow flow, int lostNode, string why)
    {
        if (flow.Done || flow.IngressNode != lostNode)
        {
            return;
        }

        var room = _world.RoomOfNode(lostNode);
        var next = Enumerable.Range(1, _nodesPerRoom - 1).Select(i => (room * _nodesPerRoom) + ((lostNode - (room * _nodesPerRoom) + i) % _nodesPerRoom))
            .Where(k => _world.NodeAlive[k]).OrderBy(k => _world.Draining[k]).Cast<int?>().FirstOrDefault();
        if (next is not { } sibling)
        {
            flow.Drill.Fail($"writer: {why} and no relay of its room took the flow back");
            flow.Done = true;
            return;
        }

        if (flow.Attempt is { } left)
        {
            Leave(flow, left);
        }

        flow.Drill.FailedOver(Now / 1e6);
        var old = flow.Core;
        var sender = new FlowSender(maxUnacknowledgedBytes: old.Sender.MaxUnacknowledgedBytes);
        sender.ResumeAt(old.Sender.Acknowledged);
        old.Sender.Rewind();
        while (old.Sender.TryTakeNext(out var chunk))
        {
            var written = sender.WriteChunkAsync(chunk.Sequence, chunk.Payload.ToArray(), CancellationToken.None);
            Debug.Assert(written.IsCompletedSuccessfully, "the same chunks fit the same window");
        }

        var relay = Relays[sibling];
        flow.Core = new FlowCore(_ids[flow.From], _ids[flow.To], sender, relay.Knowledge, () => relay.Table, _options, _clock);
        if (old.WritesDone)
        {
            flow.Core.CompleteWriting();
        }

        flow.IngressNode = sibling;
        ChoosePatiently(flow);
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

    /// <summary>
    /// A relay started draining: the flows it carries in transit are closed back to their ingress, which takes the
    /// path again through a sibling, or another path. Past the drain timeout, if it still drains, it lets go of the
    /// flows its engines write through it, and each engine resumes at a sibling.
    /// </summary>
    public void Draining(int node)
    {
        foreach (var flow in Flows)
        {
            if (flow.Attempt is { } run && run.IndexOfNode(node) is var at and > 0 && at < run.Rooms.Length - 1)
            {
                NodeLostLater(flow, run, Now + BackTo(run.Rooms, at), node, leaving: true);
            }
        }

        if (_nodesPerRoom > 1)
        {
            _queue.At(Now + Us(_options.DrainTimeout), () =>
            {
                foreach (var flow in Flows.Where(f => f.IngressNode == node && !f.Done && _world.Draining[node] && _world.NodeAlive[node]).ToList())
                {
                    flow.Attempt?.BrokenUs = Now;
                    _queue.At(Now + ResumeDelayUs, () => Resume(flow, node, "its relay let it go past its drain timeout"));
                }
            });
        }
    }
}
