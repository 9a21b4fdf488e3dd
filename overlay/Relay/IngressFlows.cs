using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Msdn.Client.Framing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// Flows local media engines open at this relay (the ingress): each carried along its route by its
/// <see cref="FlowCore"/>'s decisions, with the I/O here (streams to the first hop, the Open frame, data
/// out, acks and refusals back, the watchdog's clock), failing over on a broken stream, a down signal, a
/// refusal or missing acks.
/// </summary>
internal sealed partial class IngressFlows(RelayContext relay, PeerConnections peers, RelayAdmission admission, Func<RouteTable> routes)
{
    private readonly ConcurrentDictionary<ulong, RelayFlow> _ingress = new();

    /// <summary>A random session in the high bits: a restarted relay never reuses an id an egress may still hold.</summary>
    private long _nextFlow = (long)((ulong)(uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue) << 32);

    /// <summary>The flows this relay carries as their ingress now.</summary>
    public IReadOnlyCollection<RelayFlow> Flows => [.. _ingress.Values];

    /// <summary>A flow was opened to this room (the control link asks for the routes into a new destination at once).</summary>
    public event Action<RoomId>? Opened;

    /// <summary>The flow this relay carries as its ingress under <paramref name="id"/>, if it does.</summary>
    public bool TryGet(ulong id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RelayFlow? flow) => _ingress.TryGetValue(id, out flow);

    /// <summary>
    /// Opens a flow from this room to <paramref name="endpoint"/> in <paramref name="destination"/>; with
    /// <paramref name="resume"/>, takes over flow <c>Id</c> (a relay of this room carried it, and died or let it go) from chunk
    /// <c>From</c>. Refused with <see cref="RelayDrainingException"/> unless the relay is serving.
    /// </summary>
    public RelayFlow Open(RoomId destination, string endpoint, (ulong Id, ulong From)? resume = null)
    {
        if (resume is { } taken && _ingress.ContainsKey(taken.Id))
        {
            throw new InvalidOperationException($"Flow {taken.Id} is carried here already.");
        }

        if (!admission.TryAdmit())
        {
            throw new RelayDrainingException(relay.Room, admission.State);
        }

        var sender = new FlowSender(relay.Options.MaxChunkBytes, relay.Options.MaxUnacknowledgedBytes);
        if (resume is { } from)
        {
            sender.ResumeAt(from.From);
        }

        var core = new FlowCore(relay.Room, destination, sender, Knowledge, routes, relay.Options, relay.Time);
        core.FailoverCompleted += relay.Metrics.FailoverCompleted;
        var flow = new RelayFlow(resume?.Id ?? (ulong)Interlocked.Increment(ref _nextFlow), endpoint, core, relay.Metrics, relay.Stopping);
        if (!_ingress.TryAdd(flow.Id, flow))
        {
            admission.FlowEnded();
            throw new InvalidOperationException($"Flow {flow.Id} is carried here already.");
        }

        relay.Metrics.FlowOpened("ingress");
        flow.Completion = Task.Run(
            async () =>
            {
                try
                {
                    await RunIngressAsync(flow, flow.Run.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    core.Sender.Fail(e); // a writer waiting for room (a held flow, a partition) hears why at once
                    throw;
                }
                finally
                {
                    flow.Run.Dispose();
                    _ingress.TryRemove(flow.Id, out _);
                    relay.Metrics.FlowEnded("ingress");
                    admission.FlowEnded();
                }
            },
            CancellationToken.None);
        Opened?.Invoke(destination);
        return flow;
    }

    /// <summary>
    /// Lets go of every flow opened here (a draining relay past its drain timeout): each stops at once, as if the relay
    /// stopped under it, and its media engine resumes it at a sibling. Returns how many.
    /// </summary>
    public int AbandonAll()
    {
        var abandoned = 0;
        foreach (var flow in _ingress.Values)
        {
            abandoned += flow.Abandon() ? 1 : 0;
        }

        return abandoned;
    }

    /// <summary>How long a broken write waits for the path's answer that may explain it.</summary>
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromMilliseconds(100);

    /// <summary>The flows this relay is carrying on a path now, each with the switch that breaks that path.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, (RelayFlow Flow, CancellationTokenSource Broken)> _carrying = new();

    /// <summary>What this relay knows of links beyond its table, shared by the flows it starts.</summary>
    public PathKnowledge Knowledge { get; } = new(relay.Room, relay.Time, peer => !peers.CanCarryTo(peer)); // probes answer, but its relay refuses this one's data

    /// <summary>
    /// A link was declared down (by this room's probe agent, or relayed by the controller): every flow
    /// carried over it fails over now, without waiting for a broken stream or missing acks.
    /// </summary>
    public void LinkDown(RoomId from, RoomId to)
    {
        Knowledge.LinkDown(from, to);
        if (from == relay.Room)
        {
            // The connection kept to that relay is suspect too: a killed QUIC peer leaves it open until the idle
            // timeout, so streams would still open on it and vanish. Dropping it fails the transit flows
            // spliced onto it (their ingresses hear which room is lost) and makes the next use dial afresh,
            // which a dead relay refuses at once.
            peers.Drop(to);
        }

        foreach (var (_, (flow, broken)) in _carrying)
        {
            if (flow.Core.Crosses(from, to))
            {
                try
                {
                    broken.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // That attempt on the path ended meanwhile: nothing is left to break.
                }
            }
        }
    }

    /// <summary>The link is back: paths over it may be chosen again.</summary>
    public void LinkUp(RoomId from, RoomId to) => Knowledge.LinkUp(from, to);

    /// <summary>Follows a probe agent's down/up declarations, and has it probe fast the links carrying flows.</summary>
    public IDisposable FollowProbe(Msdn.Probe.Agent.ProbeAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        relay.NextHops.Changed += agent.SetActive;
        UseLiveLinks(() => agent.Snapshot().Where(r => r.State == Msdn.Probe.Detection.LinkState.Up).Select(r => (r.Peer, r.Quality.RttMs)));
        var following = agent.Subscribe(change =>
        {
            if (change.State == Msdn.Probe.Detection.LinkState.Down)
            {
                LinkDown(change.From, change.To);
            }
            else
            {
                LinkUp(change.From, change.To);
            }
        });
        agent.BurstSuspicion += Knowledge.BurstSuspicion; // a region cut off: its rooms are avoided as transit at once, not when declared down
        return new OnDispose(() =>
        {
            agent.BurstSuspicion -= Knowledge.BurstSuspicion;
            following.Dispose();
        });
    }

    /// <summary>
    /// This relay's own links as its probe agent sees them now (peer, cost): the first hops a freshly
    /// computed path may take. Without it, flows alternate between primary and backup only.
    /// </summary>
    public void UseLiveLinks(Func<IEnumerable<(RoomId Peer, double CostMs)>> liveLinks) => Knowledge.LiveLinks = liveLinks;

    /// <summary>Carries a local flow until it is complete: its <see cref="FlowCore"/> decides, this does the I/O.</summary>
    private async Task RunIngressAsync(RelayFlow flow, CancellationToken cancellationToken)
    {
        var core = flow.Core;
        var avoid = new AvoidedNodes(relay.Time); // relays that died or drained under this flow: its next tries pick their siblings
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = await NextPathAsync(core, cancellationToken).ConfigureAwait(false);
            try
            {
                await CarryAsync(flow, path, avoid, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NodeLostException lost) when (!cancellationToken.IsCancellationRequested && peers.HasSibling(lost.Room, lost.Node, avoid.Now()) && avoid.Add(lost.Node))
            {
                // Its room has another relay: the same path again through it, before the flow would leave the room.
                relay.Metrics.FailedOver();
                core.NodeFailed();
                Log.NodeFailedOver(relay.Logger, relay.Room, flow.Id, string.Join('>', path), lost.Room, lost.Node, lost.Message);
            }
            catch (PathMovedException moved)
            {
                // Not a failure: the controller's table has a better path now, which the core chooses next. The
                // next carry replays what is unacknowledged on it (the egress drops what it already delivered).
                Log.FlowMoved(relay.Logger, relay.Room, flow.Id, path, moved.To);
            }
            catch (Exception e) when (e is not FlowEndedException && (e is IOException or FrameFormatException or System.Security.Authentication.AuthenticationException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)))
            {
                relay.Metrics.FailedOver();

                // A relay that cannot be reached (the first hop, or the one a transit relay named) is avoided by every flow for a while.
                RoomId? lost = e switch
                {
                    PeerUnreachableException unreachable => unreachable.Room,
                    NodeLostException or NoNodeLeftException => (RoomId?)null, // the room has no other relay for this flow (its relay drains or stops, or all were tried): other flows may still use the room
                    _ when RelayStreams.IsConnectionLoss(e) => path[1],
                    _ => (RoomId?)null,
                };
                var failover = core.PathFailed(lost);
                Log.FailedOver(relay.Logger, relay.Room, flow.Id, string.Join('>', path), failover.Next is { } next ? string.Join('>', next) : "(no route now)", e.Message);
                if (failover.PauseFirst)
                {
                    await Task.Delay(relay.Options.WatchdogInterval, relay.Time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The path the flow's core takes next, waiting while the table has no route (<see cref="NoRouteException"/> once that lasts too long).</summary>
    private async Task<RoomId[]> NextPathAsync(FlowCore core, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = core.ChooseNext();
            if (next.GiveUp is { } noRoute)
            {
                throw noRoute;
            }

            if (next.Path is { } path)
            {
                return path;
            }

            await Task.Delay(next.RetryAfter, relay.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Carries the flow over one path until it is complete (returns) or the path breaks (throws).</summary>
    private async Task CarryAsync(RelayFlow flow, RoomId[] path, AvoidedNodes avoided, CancellationToken cancellationToken)
    {
        var core = flow.Core;
        using var watched = relay.NextHops.Use(path[1]);
        // Setting the path up (dialling, the Open frame) gets the same patience as its first ack, and a down
        // signal for one of its links cancels it too: a first hop that has gone silent must not hold the flow
        // before the watchdog below is even running.
        using var setup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        setup.CancelAfter(relay.Options.PathSetupTimeout);
        _carrying[flow.Id] = (flow, setup);
        var avoid = avoided.Now();
        PeerStream opening;
        try
        {
            opening = await peers.OpenAsync(path[1], NodeAffinity.For(relay.Room.Value, flow.Id, flow.Destination.Value, flow.Endpoint, path[1]), avoid, setup.Token).ConfigureAwait(false);
        }
        catch
        {
            _carrying.TryRemove(flow.Id, out _);
            throw;
        }

        var frames = new FrameStream(opening.Stream, FrameLimits.Default);
        var completed = false; // only a flow finished on this path closes it gracefully; a failed path is let go at once
        try
        {
            try
            {
                await frames.WriteAsync(Frame.Open(new OpenFlow(flow.Id, relay.Room.Value, flow.Destination.Value, flow.Endpoint, [.. path.Select(r => r.Value)], core.ResumeFrom, avoid.Count == 0 ? null : [.. avoid])), setup.Token).ConfigureAwait(false);
            }
            catch
            {
                _carrying.TryRemove(flow.Id, out _);
                throw;
            }

            if (core.FaultAt is not null)
            {
                relay.Metrics.Retransmitted((long)(core.Sender.ChunksWritten - core.ResumeFrom));
            }

            core.Opened();
            using var broken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _carrying[flow.Id] = (flow, broken);
            var sending = Task.Run(() => SendLoopAsync(core.Sender, frames, flow.Id, relay.Metrics.Traffic, broken.Token), CancellationToken.None);
            var receiving = Task.Run(
                async () =>
                {
                    while (await frames.ReadAsync(broken.Token).ConfigureAwait(false) is { } read)
                    {
                        if (read.Frame.Control is CloseFlow { Delivered: true })
                        {
                            return; // the egress confirmed the flow's end
                        }

                        if (read.Frame.Control is CloseFlow { Final: true } ended)
                        {
                            throw new FlowEndedException(ended.Reason);
                        }

                        if (read.Frame.Control is CloseFlow { Node: { } node, Unreachable: { } room } leaving && RoomId.IsValid(room))
                        {
                            throw new NodeLostException(new RoomId(room), node, $"The path broke: {leaving.Reason}.");
                        }

                        if (read.Frame.Control is CloseFlow refused)
                        {
                            throw refused.Unreachable is { } lost && RoomId.IsValid(lost)
                                ? new PeerUnreachableException(new RoomId(lost), $"The path broke: {refused.Reason}.", null)
                                : new IOException($"The path refused the flow: {refused.Reason}.");
                        }

                        if (!read.Frame.IsAck || read.Frame.FlowId != flow.Id)
                        {
                            throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame coming back on flow {flow.Id}.");
                        }

                        core.Acked(read.Frame.Sequence);
                        if (read.Frame.Kind == FrameKind.AckHold)
                        {
                            core.Sender.Hold(); // the subscriber is behind: send nothing more until the egress has room
                        }
                        else
                        {
                            core.Sender.Release();
                        }
                    }

                    throw new IOException("The path closed the flow's stream.");
                },
                CancellationToken.None);

            var delivered = core.WhenDeliveredAsync(broken.Token); // then the end goes at once, not at the next tick
            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested(); // the relay stops, or lets the flow go
                    if (broken.IsCancellationRequested)
                    {
                        throw new IOException($"A link of {string.Join('>', path)} was reported down.");
                    }

                    var tick = Task.Delay(relay.Options.WatchdogInterval, relay.Time, broken.Token);
                    var first = delivered is null
                        ? await Task.WhenAny(tick, sending, receiving).ConfigureAwait(false)
                        : await Task.WhenAny(tick, sending, receiving, delivered).ConfigureAwait(false);
                    if (first == delivered)
                    {
                        delivered = null; // once: the watchdog's verdict below sends the end
                        first = tick;
                    }

                    if (first == sending && sending.IsFaulted)
                    {
                        // A relay on the path that ends the flow's stream says why first (it is leaving, a room was
                        // lost): that answer, on its way back, tells the next try more than the broken write does.
                        await Task.WhenAny(receiving, Task.Delay(AnswerGrace, relay.Time, cancellationToken)).ConfigureAwait(false);
                        first = receiving.IsFaulted ? receiving : sending;
                    }

                    if (first != tick)
                    {
                        await first.ConfigureAwait(false); // surfaces the path's failure
                    }

                    if (receiving.IsCompletedSuccessfully)
                    {
                        if (!core.CloseConfirmed())
                        {
                            throw new FrameFormatException($"The path confirmed the end of flow {flow.Id}, which was not closed.");
                        }

                        completed = true;
                        return;
                    }

                    var verdict = core.Tick();
                    switch (verdict.Action)
                    {
                        case WatchdogAction.SendClose:
                            using (var closing = CancellationTokenSource.CreateLinkedTokenSource(broken.Token))
                            {
                                closing.CancelAfter(relay.Options.CloseTimeout);
                                await frames.WriteAsync(Frame.Close(core.CutOff ? new CloseFlow(flow.Id, "cut off", CutOff: true) : new CloseFlow(flow.Id, "complete")), closing.Token).ConfigureAwait(false);
                            }

                            break;
                        case WatchdogAction.CloseUnconfirmed:
                            // Everything was acknowledged, but the end must reach the subscriber too: say it again on another path.
                            throw new IOException($"The end of the flow was not confirmed within {relay.Options.CloseTimeout.TotalMilliseconds:F0} ms on {string.Join('>', path)}.");
                        case WatchdogAction.Stalled:
                            throw new IOException($"No ack for {verdict.Silence.TotalMilliseconds:F0} ms on {string.Join('>', path)}.");
                        case WatchdogAction.CrossesDownLink:
                            throw new IOException($"{string.Join('>', path)} crosses a link reported down since it was taken, {verdict.Silence.TotalMilliseconds:F0} ms ago, before its first ack.");
                    }

                    if ((core.ConsiderMove() ?? core.ConsiderRescue()) is { } better)
                    {
                        throw new PathMovedException(better);
                    }
                }
            }
            catch (Exception e) when (e is not PathMovedException && !cancellationToken.IsCancellationRequested)
            {
                core.Faulted(); // detected now: the teardown below is part of the failover's time
                throw;
            }
            finally
            {
                _carrying.TryRemove(flow.Id, out _);
                await broken.CancelAsync().ConfigureAwait(false);
                await Quietly(sending).ConfigureAwait(false);
                await Quietly(receiving).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not NodeLostException && !cancellationToken.IsCancellationRequested && RelayStreams.IsConnectionLoss(e))
        {
            // The first hop's relay died (or its connection broke): a sibling of it takes the flow if its room has one.
            if (peers.NodeLost(opening.Node))
            {
                throw new NodeLostException(path[1], opening.Node.Name, $"The connection to {path[1]}'s relay at {opening.Node.Name} broke: {e.Message}", e);
            }

            throw;
        }
        finally
        {
            if (completed)
            {
                await frames.CloseAsync(relay.Options.CloseTimeout, relay.Time).ConfigureAwait(false);
            }
            else
            {
                frames.Abandon();
            }
        }
    }

    /// <summary>Sends what is queued, several chunks per write; the last chunk of a burst asks for an ack.</summary>
    private static async Task SendLoopAsync(FlowSender sender, FrameStream frames, ulong flow, Load.RelayTraffic traffic, CancellationToken cancellationToken)
    {
        var batch = new List<Frame>(8);
        while (true)
        {
            batch.Clear();
            long bytes = 0;
            while (batch.Count < 8 && sender.TryTakeNext(out var chunk, out var drained))
            {
                batch.Add(Frame.Data(flow, chunk.Sequence, new System.Buffers.ReadOnlySequence<byte>(chunk.Payload), ackNow: drained));
                bytes += chunk.Payload.Length;
            }

            if (batch.Count > 0)
            {
                await frames.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                traffic.Out(bytes, batch.Count);
                continue;
            }

            await sender.WaitForDataAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or FrameFormatException or ObjectDisposedException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Relay {Room}: flow {Flow} failed over from {From} to {To}: {Reason}")]
        public static partial void FailedOver(ILogger logger, RoomId room, ulong flow, string from, string to, string reason);

        [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Relay {Room}: flow {Flow} takes {Path} again through a sibling of {Lost}'s relay at {Node}: {Reason}")]
        public static partial void NodeFailedOver(ILogger logger, RoomId room, ulong flow, string path, RoomId lost, string node, string reason);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Relay {Room}: flow {Flow} moves from {From} to the table's better primary {To}")]
        public static partial void FlowMoved(ILogger logger, RoomId room, ulong flow, IReadOnlyList<RoomId> from, IReadOnlyList<RoomId> to);
    }
}
