using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Framing;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>The ingress side: carry a local flow along its route, fail over, replay, finish.</summary>
public sealed partial class RelayNode
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, (RoomId[] Path, CancellationTokenSource Broken)> _carrying = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(RoomId, RoomId), bool> _downLinks = new();
    private Func<IEnumerable<(RoomId Peer, double CostMs)>>? _liveLinks;

    /// <summary>
    /// Rooms whose relay this relay just failed to reach (it died, or the link to it broke), until a
    /// timestamp: every flow avoids paths into them at once instead of each discovering it, until the
    /// probe agent or time says otherwise.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<RoomId, long> _unreachable = new();

    /// <summary>How long a peer whose connection failed is avoided (the probe's up signal clears it sooner).</summary>
    public static readonly TimeSpan UnreachableFor = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A link was declared down (by this room's probe agent, or relayed by the controller): every flow
    /// carried over it fails over now, without waiting for a broken stream or missing acks.
    /// </summary>
    public void LinkDown(RoomId from, RoomId to)
    {
        _downLinks[(from, to)] = true;
        if (from == Room)
        {
            // The connection kept to that relay is suspect too: a killed QUIC peer leaves it open until the idle
            // timeout, so streams would still open on it and vanish. Dropping it fails the transit flows
            // spliced onto it (their ingresses hear which room is lost) and makes the next use dial afresh,
            // which a dead relay refuses at once.
            DropConnection(to);
        }

        foreach (var (_, (path, broken)) in _carrying)
        {
            for (var i = 0; i < path.Length - 1; i++)
            {
                if (path[i] == from && path[i + 1] == to)
                {
                    try
                    {
                        broken.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // That attempt on the path ended meanwhile: nothing is left to break.
                    }

                    break;
                }
            }
        }
    }

    /// <summary>The link is back: paths over it may be chosen again.</summary>
    public void LinkUp(RoomId from, RoomId to)
    {
        _downLinks.TryRemove((from, to), out _);
        if (from == Room)
        {
            _unreachable.TryRemove(to, out _);
        }
    }

    private bool IsDown(RoomId from, RoomId to) =>
        _downLinks.ContainsKey((from, to))
        || (from == Room && !CanCarryTo(to)) // probes answer, but its relay refuses this one's data
        || (_unreachable.TryGetValue(to, out var until) && _time.GetTimestamp() < until); // its relay may be dead: no link into it

    /// <summary>Follows a probe agent's down/up declarations, and has it probe fast the links carrying flows.</summary>
    public IDisposable FollowProbe(Msdn.Probe.Agent.ProbeAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        NextHopActivityChanged += agent.SetActive;
        UseLiveLinks(() => agent.Snapshot().Where(r => r.State == Msdn.Probe.Detection.LinkState.Up).Select(r => (r.Peer, r.Quality.RttMs)));
        return agent.Subscribe(change =>
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
    }

    private async Task RunIngressAsync(RelayFlow flow, CancellationToken cancellationToken)
    {
        // The paths that failed since the flow last got an ack through: ruled out until all are.
        var failed = new List<IReadOnlyList<RoomId>>();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = await ChoosePathPatientlyAsync(flow, failed, cancellationToken).ConfigureAwait(false);
            if (failed.Any(f => f.SequenceEqual(path)))
            {
                failed.Clear(); // every candidate failed: a new round, from the best
            }

            flow.CurrentPath = path;
            flow.PathEstablished = false;
            try
            {
                await CarryAsync(flow, path, failed, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PathMovedException moved)
            {
                // Not a failure: the controller's table has a better path now. The next carry replays what
                // is unacknowledged on it (the egress drops what it already delivered).
                flow.Moves++;
                Log.FlowMoved(_logger, Room, flow.Id, path, moved.To);
            }
            catch (Exception e) when (e is IOException or FrameFormatException or System.Security.Authentication.AuthenticationException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                flow.FaultAt ??= _time.GetTimestamp();
                flow.Failovers++;
                Metrics.FailedOver();
                if (flow.PathEstablished)
                {
                    failed.Clear(); // the path worked for a while: earlier failures are old news
                }

                failed.Add(path);
                if (e is PeerUnreachableException || RelayStreams.IsConnectionLoss(e))
                {
                    // That relay (the first hop, or the one a transit relay named) is gone: no path through it for a while, for any flow.
                    var lost = e is PeerUnreachableException unreachable ? unreachable.Room : path[1];
                    _unreachable[lost] = _time.GetTimestamp() + (long)(UnreachableFor.TotalSeconds * _time.TimestampFrequency);
                }

                var next = TryChoosePath(flow.Destination, failed);
                Log.FailedOver(_logger, Room, flow.Id, string.Join('>', path), next is null ? "(no route now)" : string.Join('>', next), e.Message);
                if (next is null || failed.Any(f => f.SequenceEqual(next)))
                {
                    // Nothing untried is left: pause before the next round (the controller's next table may fix it).
                    await Task.Delay(_options.WatchdogInterval, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// A path for the flow; while the table has no route to its destination (a partition, a room lapsed),
    /// the flow waits with its data for up to <see cref="RelayNodeOptions.NoRouteGrace"/> — the next table
    /// may have one — before it fails for good with <see cref="NoRouteException"/>.
    /// </summary>
    private async Task<RoomId[]> ChoosePathPatientlyAsync(RelayFlow flow, IReadOnlyCollection<IReadOnlyList<RoomId>> failed, CancellationToken cancellationToken)
    {
        var since = _time.GetTimestamp();
        while (true)
        {
            try
            {
                return ChoosePath(flow.Destination, failed);
            }
            catch (NoRouteException) when (_time.GetElapsedTime(since) < _options.NoRouteGrace)
            {
                await Task.Delay(_options.WatchdogInterval * 4, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private RoomId[]? TryChoosePath(RoomId destination, IReadOnlyCollection<IReadOnlyList<RoomId>> failed)
    {
        try
        {
            return ChoosePath(destination, failed);
        }
        catch (NoRouteException)
        {
            return null;
        }
    }

    /// <summary>
    /// This relay's own links as its probe agent sees them now (peer, cost): the first hops a freshly
    /// computed path may take. Without it, flows alternate between primary and backup only.
    /// </summary>
    public void UseLiveLinks(Func<IEnumerable<(RoomId Peer, double CostMs)>> liveLinks) => _liveLinks = liveLinks;

    private RoomId[] ChoosePath(RoomId destination, IReadOnlyCollection<IReadOnlyList<RoomId>> failed) =>
        PathChoice.Choose(_routes(), Room, destination, failed, IsDown, _liveLinks);

    /// <summary>Carries the flow over one path until it is complete (returns) or the path breaks (throws).</summary>
    private async Task CarryAsync(RelayFlow flow, RoomId[] path, IReadOnlyCollection<IReadOnlyList<RoomId>> failed, CancellationToken cancellationToken)
    {
        var tableSeen = _routes().Version;
        using var watched = UseNextHop(path[1]);
        // Setting the path up (dialling, the Open frame) gets the same patience as its first ack, and a down
        // signal for one of its links cancels it too: a first hop that has gone silent must not hold the flow
        // before the watchdog below is even running.
        using var setup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        setup.CancelAfter(_options.PathSetupTimeout);
        _carrying[flow.Id] = (path, setup);
        Stream stream;
        var sender = flow.Sender;
        ulong resume;
        try
        {
            stream = await OpenStreamToAsync(path[1], setup.Token).ConfigureAwait(false);
        }
        catch
        {
            _carrying.TryRemove(flow.Id, out _);
            throw;
        }

        var frames = new FrameStream(stream, FrameLimits.Default);
        var completed = false; // only a flow finished on this path closes it gracefully; a failed path is let go at once
        try
        {
            try
            {
                resume = sender.Rewind();
                if (flow.FaultAt is not null)
                {
                    Metrics.Retransmitted((long)(sender.ChunksWritten - resume));
                }

                await frames.WriteAsync(Frame.Open(new OpenFlow(flow.Id, Room.Value, flow.Destination.Value, flow.Endpoint, [.. path.Select(r => r.Value)], resume)), setup.Token).ConfigureAwait(false);
            }
            catch
            {
                _carrying.TryRemove(flow.Id, out _);
                throw;
            }

            if (flow.FaultAt is { } pendingFault && sender.Acknowledged == sender.ChunksWritten)
            {
                // Nothing was waiting: delivery is back as soon as the new path is open.
                FailoverDone(flow, _time.GetElapsedTime(pendingFault));
            }

            using var broken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _carrying[flow.Id] = (path, broken);
            var lastProgress = _time.GetTimestamp();
            var established = 0; // set once this path returned its first ack
            long? closeSentAt = null; // when the flow's end was sent on this path, awaiting the egress's confirmation
            var sending = Task.Run(() => SendLoopAsync(sender, frames, flow.Id, broken.Token), CancellationToken.None);
            var receiving = Task.Run(
                async () =>
                {
                    while (await frames.ReadAsync(broken.Token).ConfigureAwait(false) is { } read)
                    {
                        if (read.Frame.Control is CloseFlow { Delivered: true })
                        {
                            return; // the egress confirmed the flow's end
                        }

                        if (read.Frame.Control is CloseFlow refused)
                        {
                            throw refused.Unreachable is { } lost && RoomId.IsValid(lost)
                                ? new PeerUnreachableException(new RoomId(lost), $"The path broke: {refused.Reason}.", null)
                                : new IOException($"The path refused the flow: {refused.Reason}.");
                        }

                        if (read.Frame.Kind != FrameKind.Ack || read.Frame.FlowId != flow.Id)
                        {
                            throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame coming back on flow {flow.Id}.");
                        }

                        var before = sender.Acknowledged;
                        sender.Acknowledge(read.Frame.Sequence);
                        Volatile.Write(ref established, 1);
                        flow.PathEstablished = true;
                        if (sender.Acknowledged > before)
                        {
                            Interlocked.Exchange(ref lastProgress, _time.GetTimestamp());
                            if (flow.FaultAt is { } fault)
                            {
                                FailoverDone(flow, _time.GetElapsedTime(fault));
                            }
                        }
                    }

                    throw new IOException("The path closed the flow's stream.");
                },
                CancellationToken.None);

            try
            {
                while (true)
                {
                    if (broken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        throw new IOException($"A link of {string.Join('>', path)} was reported down.");
                    }

                    var tick = Task.Delay(_options.WatchdogInterval, _time, broken.Token);
                    var first = await Task.WhenAny(tick, sending, receiving).ConfigureAwait(false);
                    if (first != tick)
                    {
                        await first.ConfigureAwait(false); // surfaces the path's failure
                    }

                    if (receiving.IsCompletedSuccessfully)
                    {
                        if (closeSentAt is null)
                        {
                            throw new FrameFormatException($"The path confirmed the end of flow {flow.Id}, which was not closed.");
                        }

                        completed = true;
                        return;
                    }

                    if (closeSentAt is null && flow.WritesDone.IsCompleted && sender.Acknowledged == sender.ChunksWritten)
                    {
                        using var closing = CancellationTokenSource.CreateLinkedTokenSource(broken.Token);
                        closing.CancelAfter(_options.CloseTimeout);
                        await frames.WriteAsync(Frame.Close(new CloseFlow(flow.Id, "complete")), closing.Token).ConfigureAwait(false);
                        closeSentAt = _time.GetTimestamp();
                    }

                    if (closeSentAt is { } sentAt && _time.GetElapsedTime(sentAt) > _options.CloseTimeout)
                    {
                        // Everything was acknowledged, but the end must reach the subscriber too: say it again on another path.
                        throw new IOException($"The end of the flow was not confirmed within {_options.CloseTimeout.TotalMilliseconds:F0} ms on {string.Join('>', path)}.");
                    }

                    var stalled = _time.GetElapsedTime(Interlocked.Read(ref lastProgress));
                    var patience = Volatile.Read(ref established) == 1 ? _options.AckTimeout : _options.PathSetupTimeout;
                    if (sender.Acknowledged < sender.ChunksWritten && stalled > patience)
                    {
                        flow.FaultAt ??= Interlocked.Read(ref lastProgress); // delivery stopped at the last ack, not when the silence was noticed
                        throw new IOException($"No ack for {stalled.TotalMilliseconds:F0} ms on {string.Join('>', path)}.");
                    }

                    if (sender.Acknowledged == sender.ChunksWritten)
                    {
                        Interlocked.Exchange(ref lastProgress, _time.GetTimestamp()); // idle, not stalled
                    }

                    if (Volatile.Read(ref established) == 1 && flow.FaultAt is null && _routes() is var table && table.Version != tableSeen)
                    {
                        tableSeen = table.Version;
                        if (PathChoice.BetterPrimary(table, Room, flow.Destination, path, failed, IsDown) is { } better)
                        {
                            throw new PathMovedException(better);
                        }
                    }
                }
            }
            catch (Exception e) when (e is not PathMovedException && !cancellationToken.IsCancellationRequested)
            {
                flow.FaultAt ??= _time.GetTimestamp(); // detected now: the teardown below is part of the failover's time
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
        finally
        {
            if (completed)
            {
                await frames.CloseAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
            }
            else
            {
                frames.Abandon();
            }
        }
    }

    private void FailoverDone(RelayFlow flow, TimeSpan took)
    {
        flow.FailoverTimes.Add(took);
        flow.FaultAt = null;
        Metrics.FailoverCompleted(took);
    }

    /// <summary>Sends what is queued, several chunks per write; the last chunk of a burst asks for an ack.</summary>
    private static async Task SendLoopAsync(FlowSender sender, FrameStream frames, ulong flow, CancellationToken cancellationToken)
    {
        var batch = new List<Frame>(8);
        while (true)
        {
            batch.Clear();
            while (batch.Count < 8 && sender.TryTakeNext(out var chunk, out var drained))
            {
                batch.Add(Frame.Data(flow, chunk.Sequence, new System.Buffers.ReadOnlySequence<byte>(chunk.Payload), ackNow: drained));
            }

            if (batch.Count > 0)
            {
                await frames.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
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
}
