using Msdn.Graph.Tables;
using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The glue of one virtual drill: relays' control links (reports of news every second and at once on a link
/// change, <see cref="VirtualReports"/>; route tables by long-poll), the faults on the timeline, the route invariant after every
/// published table, and the results.
/// </summary>
internal sealed class DrillRun(
    Scenario scenario,
    GeneratedWorld generated,
    VirtualWorld world,
    RoomId[] ids,
    VirtualProbing probing,
    VirtualController controller,
    VirtualDataPlane plane,
    EventQueue queue,
    Func<long> now,
    Random random)
{
    /// <summary>The controller sits with room 0 (reports and tables cross that room's link delays).</summary>
    private const int ControllerRoom = 0;
    private static readonly long ReportIntervalUs = (long)new Msdn.Overlay.Hosting.RelayOptions().ReportInterval.TotalMicroseconds;
    private readonly List<AppliedFault> _applied = [];
    private readonly RouteInvariant _invariant = new();
    private readonly VirtualReports _reports = new(ids, new VirtualClock(now), scenario.Seed);
    private readonly VirtualRouteFeed _feed = new(ids, new Msdn.Router.Routing.RouterOptions().DiffHistory);
    private long _controlBytes;
    private long _reportBytes;
    private readonly ControlTally _tally = new();
    private int _controllerDowns;
    private long _versionAtStart = -1;
    private RouteTable _lastDelivered = RouteTable.Empty;

    /// <summary>Each room's report loop (its relays' reports, merged as the controller merges them): when the last went, and the generation of the scheduled next one.</summary>
    private readonly long[] _lastReportUs = Enumerable.Repeat(long.MinValue / 2, ids.Length).ToArray();
    private readonly int[] _reportGeneration = new int[ids.Length];

    /// <summary>Work on published tables that does not feed back into the run (their encoded size, the invariant), in publication order on another thread.</summary>
    private readonly List<Task<(long Bytes, List<string> Violations)>> _audits = [];
    private Task _lastAudit = Task.CompletedTask;

    private long Now => now();

    /// <summary>The one-way control delay between a room and the controller (no jitter: it would draw from the random source on the control path too).</summary>
    /// <remarks>Control traffic rides the internet's own routing, not one measured link: at most 150 ms each way (a measured world may lack the direct pair).</remarks>
    private long ControlDelayUs(int room) => room == ControllerRoom ? 500 : (long)(Math.Min(world.RttMs(room, ControllerRoom), 300) * 500);

    // ---- control links ----

    public void ScheduleReport(int room, long atUs)
    {
        var generation = ++_reportGeneration[room];
        queue.At(atUs, () =>
        {
            if (_reportGeneration[room] == generation)
            {
                Report(room);
            }
        });
    }

    private void Report(int room)
    {
        if (!world.Alive[room])
        {
            return;
        }

        var plan = _reports.Next(room, b => probing.Values(room, b));
        _lastReportUs[room] = Now;
        if (world.ControllerUp)
        {
            // A report to a controller that cannot be reached never gets its body on the wire.
            var reported = _reports.Bytes(room, plan);
            _controlBytes += reported;
            _reportBytes += reported;
            _tally.Add("reports", reported, 0, Now / 1e6);
            queue.At(Now + ControlDelayUs(room), () =>
            {
                if (!controller.Accept(room, _reports.Taken(room, plan), Now))
                {
                    _reports.FullWanted(room); // 412: the controller does not hold the report this one amended
                }
            });
        }

        ScheduleReport(room, Now + ReportIntervalUs);
    }

    /// <summary>A probe agent declared a link down or up: its relay acts on it, and reports at once (after the exchange in flight).</summary>
    public void OnLinkState(int a, int b, bool up, long atUs)
    {
        plane.LinkState(a, b, up);
        _invariant.Declared(a, b, up, atUs);
        ScheduleReport(a, Math.Max(Now, _lastReportUs[a] + (2 * ControlDelayUs(a))));
    }

    public void Tick()
    {
        controller.Tick(Now);
        queue.At(Now + (long)TimeSpan.FromMilliseconds(scenario.Settings.RecomputeIntervalMs).TotalMicroseconds, Tick);
    }

    /// <summary>A new table: every relay gets it through its long-poll (the controller's cache notices within its poll interval), or when the controller is back.</summary>
    public void Published(RouteTable table)
    {
        var due = _invariant.DueBy(controller.ComputedFromUs);
        var from = controller.ComputedFromUs;
        var audit = _lastAudit.ContinueWith(_ => (0L, RouteInvariant.Check(table, from, due, ids)), TaskScheduler.Default);
        _audits.Add(audit);
        _lastAudit = audit;
        if (Now >= 0 && _versionAtStart < 0)
        {
            _versionAtStart = table.Version - 1;
        }

        Deliver(table);
    }

    private void Deliver(RouteTable table)
    {
        if (!world.ControllerUp)
        {
            return; // the relays' long-polls fail; they get the latest when the controller is back
        }

        var previous = _lastDelivered;
        var alive = (bool[])world.Alive.Clone();
        var at = Now / 1e6;
        var sized = _lastAudit.ContinueWith(
            _ =>
            {
                var bytes = _feed.Bytes(previous, table, alive);
                _tally.Add("routes", 0, bytes, at);
                return (bytes, new List<string>());
            },
            TaskScheduler.Default);
        _audits.Add(sized);
        _lastAudit = sized;
        _lastDelivered = table;
        var poll = (long)Msdn.Router.Api.RouteTableCache.PollInterval.TotalMicroseconds;
        var noticed = ((Now / poll) + 1) * poll;
        for (var room = 0; room < ids.Length; room++)
        {
            if (!world.Alive[room])
            {
                continue;
            }

            foreach (var node in world.NodesOf(room))
            {
                var relay = plane.Relays[node];
                queue.At(noticed + ControlDelayUs(room), () =>
                {
                    if (table.Version > relay.Table.Version)
                    {
                        relay.Table = table;
                        plane.TableArrived(node);
                    }
                });
            }
        }
    }

    // ---- flows ----

    public List<DrillFlow> StartFlows()
    {
        var flows = new List<DrillFlow>();
        var spec = scenario.Flows;
        for (var i = 0; i < (spec.Pairs?.Count ?? spec.Count); i++)
        {
            int from, to;
            if (spec.Pairs is { } pairs)
            {
                (from, to) = (ScenarioLoader.RoomIndex(pairs[i].From), ScenarioLoader.RoomIndex(pairs[i].To));
            }
            else
            {
                from = random.Next(ids.Length);
                to = (from + 1 + random.Next(ids.Length - 1)) % ids.Length;
            }

            var drill = new DrillFlow(i, ids[from].Value, ids[to].Value, spec.RateKbps);
            _feed.Flow(from, to);
            flows.Add(drill);
            var flow = plane.NewFlow(drill, from, to, EntryNode(from), 4 * 1024 * 1024);
            queue.At(0, () => plane.StartWriter(flow, (long)(scenario.DurationSeconds * 1e6)));
        }

        return flows;
    }

    /// <summary>The relay of <paramref name="room"/> a new media engine writes through, as the path lookup picks it (<see cref="Msdn.Router.Api.EntryNode"/>: two random choices; no loads here).</summary>
    private int EntryNode(int room)
    {
        if (world.NodesPerRoom == 1)
        {
            return room;
        }

        var nodes = world.NodesOf(room).Select(k => new Msdn.Router.Rooms.NodeSummary { RelayEndpoint = plane.NodeName(k), RelayState = "Serving", Liveness = Msdn.Router.Rooms.RoomLiveness.Fresh }).ToList();
        var (chosen, _) = Msdn.Router.Api.EntryNode.Choose(nodes, (ulong)random.NextInt64(long.MinValue, long.MaxValue));
        return (room * world.NodesPerRoom) + nodes.IndexOf(chosen!);
    }

    // ---- faults ----

    public void Apply(FaultSpec fault)
    {
        var applied = VirtualFaults.Apply(fault, this, world, generated, plane, ids);
        _applied.Add(applied with { TableVersion = controller.Table.Version });
        Progress.WriteLine($"  t={applied.At,5:F1} s  {applied.Kind,-14} {applied.Target,-18} hits flows [{string.Join(", ", applied.AffectedFlows)}]{(applied.Note is null ? string.Empty : $"  ({applied.Note})")}");
    }

    public TextWriter Progress { get; init; } = TextWriter.Null;

    /// <summary>Schedules a fault's end.</summary>
    public void Later(double seconds, Action lift) => AtWorldChange(Now + (long)(seconds * 1e6), lift);

    /// <summary>Schedules a change to the world's faults (probing hears of it first: it runs quiet links' probes ahead of the clock).</summary>
    public void AtWorldChange(long atUs, Action change)
    {
        probing.ExpectWorldChange(atUs / 1000);
        queue.At(atUs, change);
    }

    public long NowUs => Now;

    public void ControllerDown()
    {
        _controllerDowns++;
        world.ControllerUp = false;
        _invariant.ControllerUnreachable();
    }

    /// <summary>The controller became reachable again: relays re-poll (every <see cref="Msdn.Overlay.Control.ControllerClient.RetryDelay"/> while it was not) and get the latest table.</summary>
    public void ControllerBack()
    {
        if (--_controllerDowns > 0)
        {
            return; // another outage still holds
        }

        world.ControllerUp = true;
        _invariant.ControllerReachable(Now);
        var retry = (long)Msdn.Overlay.Control.ControllerClient.RetryDelay.TotalMicroseconds;
        queue.At(((Now / retry) + 1) * retry, () => Deliver(controller.Table));
    }

    /// <summary>A relay died; its room goes quiet (no probes, no reports) once its last relay has.</summary>
    /// <remarks>A room's probing stands for its relays' shares of it: a dead relay's share is taken over at once here (the directory drops it within seconds).</remarks>
    public void RelayKilled(int node)
    {
        var room = world.RoomOfNode(node);
        world.SetNodeAlive(node, false);
        if (!world.Alive[room])
        {
            probing.Stop(room);
        }

        plane.Killed(node);
        if (!world.Alive[room])
        {
            _invariant.RoomDown(room);
        }
    }

    public void RelayRestarted(int node)
    {
        var room = world.RoomOfNode(node);
        var wasQuiet = !world.Alive[room];
        world.SetNodeAlive(node, true);
        var relay = plane.Relays[node];
        relay.Knowledge.Clear();
        if (wasQuiet)
        {
            // The room's first relay back: its probing and reports start again.
            probing.Start(room, Now / 1000);
            _reports.Restarted(room);
            var restarted = _lastAudit.ContinueWith(_ => { _feed.Restarted(room); return (0L, new List<string>()); }, TaskScheduler.Default); // in order with the tables the feed counts
            _audits.Add(restarted);
            _lastAudit = restarted;
            ScheduleReport(room, Now + 1000);
        }

        queue.At(Now + ControlDelayUs(room), () =>
        {
            relay.Table = controller.Table;
            plane.TableArrived(node);
        });
    }

    public void LinkCut(int a, int b, bool cut)
    {
        world.Cut(a, b, cut);
        if (cut)
        {
            plane.Cut(a, b);
        }
    }

    // ---- results ----

    public DrillResults Results(List<DrillFlow> flows, double wallSeconds)
    {
        // Route quality at the end: every pair's primary, costed on the true RTTs, over the optimum on them.
        var oracle = StretchOracle.Create(ids.Length, world.RttMs);
        var table = controller.Table;
        var stretches = new List<double>();
        foreach (var route in table.Routes())
        {
            int from = ScenarioLoader.RoomIndex(route.From.Value), to = ScenarioLoader.RoomIndex(route.To.Value);
            var optimal = oracle.Find(ids[from], ids[to])?.Cost;
            if (optimal is > 0)
            {
                stretches.Add(TrueRtt(route.Primary) / optimal.Value);
            }
        }

        var routes = flows.Select(f =>
        {
            var route = table.Contains(new RoomId(f.From)) && table.Contains(new RoomId(f.To)) ? table.Find(new RoomId(f.From), new RoomId(f.To)) : null;
            return new FlowRoute(f.Index, route?.Primary.Select(r => r.Value).ToList() ?? [], route is null ? null : TrueRtt(route.Primary), oracle.Find(new RoomId(f.From), new RoomId(f.To))?.Cost ?? 0);
        }).ToList();
        foreach (var flow in flows)
        {
            flow.PathsEnd(scenario.DurationSeconds);
        }

        var start = Math.Max(0, _versionAtStart);
        var audits = Task.WhenAll(_audits).GetAwaiter().GetResult();
        var violations = audits.SelectMany(a => a.Violations).Take(50).ToList();
        _controlBytes += audits.Sum(a => a.Bytes);
        return new DrillResults(scenario, generated, flows, _applied, 0, wallSeconds, routes, table.Version - start, _controlBytes, table.Version)
        {
            PairStretches = stretches,
            InvariantViolations = violations,
            Recomputations = controller.Recomputations,
            ProbesSent = probing.ProbesSent,
            ControlToControllerBytes = _reportBytes,
            ControlTally = _tally,
        };
    }

    private double TrueRtt(IReadOnlyList<RoomId> path)
    {
        var rtt = 0.0;
        for (var i = 0; i < path.Count - 1; i++)
        {
            rtt += world.RttMs(ScenarioLoader.RoomIndex(path[i].Value), ScenarioLoader.RoomIndex(path[i + 1].Value));
        }

        return rtt;
    }
}
