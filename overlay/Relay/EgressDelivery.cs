using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Msdn.Client;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Metrics;

namespace Msdn.Overlay.Relay;

/// <summary>
/// Flows whose route ends in this room: each is announced once to the subscriber of its endpoint (whatever
/// failovers its path goes through), its chunks delivered in order exactly once and acknowledged, and its
/// end confirmed back to the ingress. A subscriber that falls behind holds its sender back (<see cref="EgressFlow"/>);
/// a flow held back too long, or that no path has carried for <see cref="RelayNodeOptions.OrphanFlowTimeout"/> (its
/// ingress relay died), is ended, so both ends hear of it and its state does not stay for good.
/// </summary>
internal sealed partial class EgressDelivery(RelayContext relay, RelayAdmission admission)
{
    /// <summary>Flows delivered here, by (ingress room, flow id): ids are only unique per ingress relay.</summary>
    private readonly ConcurrentDictionary<(string Source, ulong Flow), EgressFlow> _egress = new();

    /// <summary>Flows that ended here lately (delivered, or ended for good), with when and what to answer a stream that still comes for one (see <see cref="RememberEnded"/>).</summary>
    private readonly ConcurrentDictionary<(string Source, ulong Flow), (long At, CloseFlow Answer)> _ended = new();
    private readonly ConcurrentDictionary<string, Channel<IncomingFlow>> _subscribers = new();

    /// <summary>Flows announced to each endpoint that no subscriber has taken yet.</summary>
    private readonly ConcurrentDictionary<string, int> _untaken = new();

    /// <summary>Subscribers (media engines on the client port) of each endpoint that can take a flow on mid-way.</summary>
    private readonly ConcurrentDictionary<string, int> _resumable = new();

    /// <summary>Completed (and replaced) whenever a subscriber that can take flows on mid-way arrives.</summary>
    private TaskCompletionSource _resumableCame = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// How long a flow resuming mid-way waits here for a subscriber that can take it on: one whose connection to this
    /// relay broke (the relay restarted) dials it again within <see cref="Msdn.Client.ClientSubscription.MaxRedialDelay"/>.
    /// </summary>
    internal static readonly TimeSpan ResumableSubscriberGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Flows resuming mid-way that wait for such a subscriber, by when the first of their Opens came: the grace runs once
    /// per flow, not once per Open (its ingress opens the path afresh each time it gives up waiting for an ack).
    /// </summary>
    private readonly ConcurrentDictionary<(string Source, ulong Flow), long> _awaitingSubscriber = new();

    /// <summary>
    /// While the result is not disposed, flows to <paramref name="endpoint"/> that another relay of this room delivered
    /// until it died are taken on here from where their ingress resumes (the subscriber, connected to every relay of the
    /// room, holds what came before and passes over what it has twice).
    /// </summary>
    public IDisposable AcceptResumedFlows(string endpoint)
    {
        _resumable.AddOrUpdate(endpoint, 1, (_, n) => n + 1);
        Interlocked.Exchange(ref _resumableCame, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return new OnDispose(() => _resumable.AddOrUpdate(endpoint, 0, (_, n) => Math.Max(0, n - 1)));
    }

    /// <summary>
    /// Whether a subscriber of <paramref name="endpoint"/> that can take flow <paramref name="key"/> on mid-way is here, or
    /// comes within <see cref="ResumableSubscriberGrace"/> of the flow's first such Open.
    /// </summary>
    private async Task<bool> ResumableSubscriberAsync((string Source, ulong Flow) key, string endpoint)
    {
        var now = relay.Time.GetTimestamp();
        if (_awaitingSubscriber.Count > 1024)
        {
            foreach (var (stale, since) in _awaitingSubscriber)
            {
                if (relay.Time.GetElapsedTime(since, now) > 2 * ResumableSubscriberGrace)
                {
                    _awaitingSubscriber.TryRemove(stale, out _); // its ingress went away
                }
            }
        }

        var first = _awaitingSubscriber.GetOrAdd(key, now);
        while (true)
        {
            var came = Volatile.Read(ref _resumableCame).Task;
            if (_resumable.GetValueOrDefault(endpoint) > 0)
            {
                _awaitingSubscriber.TryRemove(key, out _);
                return true;
            }

            var left = ResumableSubscriberGrace - relay.Time.GetElapsedTime(first);
            if (left <= TimeSpan.Zero)
            {
                _awaitingSubscriber.TryRemove(key, out _);
                return false;
            }

            try
            {
                await came.WaitAsync(left, relay.Time, relay.Stopping).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>Bytes of the flows arriving here that their subscribers have not read yet.</summary>
    public long UnreadBytes => _egress.Values.Sum(f => f.Unread);

    /// <summary>The flows arriving for <paramref name="endpoint"/> in this room, each announced once with its own ordered data.</summary>
    public ChannelReader<IncomingFlow> Subscribe(string endpoint) =>
        new TakenFlows(_subscribers.GetOrAdd(endpoint, _ => Channel.CreateUnbounded<IncomingFlow>()).Reader, taken =>
        {
            _untaken.AddOrUpdate(taken.Endpoint, 0, (_, n) => Math.Max(0, n - 1));
            if (_egress.TryGetValue((taken.Source.Value, taken.Id), out var flow))
            {
                flow.Taken = true;
            }
        });

    /// <summary>
    /// Delivers a flow's chunks in order and acknowledges them; true when the ingress closed the flow (its
    /// end is confirmed back) or it was refused, false when the stream ended without a close.
    /// </summary>
    public async Task<bool> ServeAsync(FrameStream frames, OpenFlow open)
    {
        var key = (open.Source, open.FlowId);
        LetGoIfSuperseded(key, open);
        if (!_egress.TryGetValue(key, out var flow))
        {
            if (_ended.TryGetValue(key, out var ended))
            {
                // Its end already reached the subscriber (the ingress missed the confirmation and asks again), or it was ended here for good.
                await relay.SayLastAsync(frames, ended.Answer).ConfigureAwait(false);
                return true;
            }

            // A flow resuming past its start that this relay does not know was delivered by another relay of this room that
            // died (its ingress moved to this one), or by an earlier run of this relay: a subscriber that can take it on
            // mid-way does (one whose connection broke with the earlier run dials again: it is given a moment). Without one,
            // it was delivered to a subscriber that is gone: what follows cannot be delivered in order to anyone, so its
            // sender hears so.
            if (open.ResumeFrom > 0 && !await ResumableSubscriberAsync(key, open.Endpoint).ConfigureAwait(false))
            {
                await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, $"relay {relay.Room} holds nothing of this flow (it restarted since it delivered the first {open.ResumeFrom} chunks, to a subscriber that is gone)", Final: true)).ConfigureAwait(false);
                return true;
            }

            // Flows wait for a subscriber, but not without end: past the bound, the sender hears nobody takes them.
            if (_untaken.GetValueOrDefault(open.Endpoint) >= relay.Options.MaxUntakenFlowsPerEndpoint)
            {
                await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, $"{relay.Options.MaxUntakenFlowsPerEndpoint} flows already wait at {relay.Room} for a subscriber of {open.Endpoint}", Final: true)).ConfigureAwait(false);
                return true;
            }

            // A new flow (not the replay of one already here after a failover) must be admitted.
            if (!admission.TryAdmit())
            {
                await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, $"relay {relay.Room} is {admission.State}")).ConfigureAwait(false);
                return true;
            }

            var arrived = new EgressFlow(relay, new RoomId(open.Source), open.FlowId, open.Endpoint, relay.Metrics, open.ResumeFrom);
            var added = _egress.GetOrAdd(key, arrived);
            if (ReferenceEquals(added, arrived))
            {
                relay.Metrics.FlowOpened("egress");
                _untaken.AddOrUpdate(open.Endpoint, 1, (_, n) => n + 1);
                _subscribers.GetOrAdd(open.Endpoint, _ => Channel.CreateUnbounded<IncomingFlow>()).Writer.TryWrite(arrived.Incoming);
            }
            else
            {
                admission.FlowEnded(); // another stream of the same flow got there first
            }

            flow = added;
        }

        bool orphaned;
        ulong received;
        lock (flow)
        {
            orphaned = flow.Ended is not null; // ended here a moment ago: the ingress hears why below
            received = flow.Receiver.NextExpected;
            flow.Carriers += orphaned || open.ResumeFrom > received ? 0 : 1;
        }

        if (orphaned)
        {
            await relay.SayLastAsync(frames, flow.Ended!).ConfigureAwait(false);
            return true;
        }

        if (open.ResumeFrom > received)
        {
            // Every ingress resumes from what was acknowledged, which arrived: a later start would leave a gap (a media
            // engine resuming past what it sent). Refused for good; the flow itself goes on for its rightful carrier.
            relay.Metrics.FrameRejected("resume past arrival");
            await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, $"flow {open.FlowId} cannot resume from chunk {open.ResumeFrom}: {relay.Room} has {received} of it", Final: true)).ConfigureAwait(false);
            return true;
        }

        try
        {
            return await DeliverAsync(frames, open, key, flow).ConfigureAwait(false);
        }
        finally
        {
            lock (flow)
            {
                flow.Carriers--;
                flow.LastCarriedAt = relay.Time.GetTimestamp();
            }
        }
    }

    /// <summary>
    /// Ends every flow no path has carried for <see cref="RelayNodeOptions.OrphanFlowTimeout"/> (its ingress relay is
    /// gone), and every flow its subscriber has held back for <see cref="RelayNodeOptions.SlowSubscriberTimeout"/>: the
    /// subscriber's data completes with <see cref="FlowCutOffException"/> after the last byte delivered, and the
    /// ingress (now, or on its next path) is told why, for good. Returns how many of each.
    /// </summary>
    public (int Orphans, int Slow) EndStuckFlows()
    {
        var (orphans, slow) = (0, 0);
        foreach (var (key, flow) in _egress)
        {
            string reason;
            lock (flow)
            {
                if (flow.Carriers == 0 && relay.Time.GetElapsedTime(flow.LastCarriedAt) >= relay.Options.OrphanFlowTimeout)
                {
                    reason = $"flow {key.Flow} from {key.Source} was ended at {relay.Room}: no path carried it for {relay.Options.OrphanFlowTimeout.TotalSeconds:F0} s (its ingress relay is gone)";
                    orphans++;
                }
                else if (flow.HoldingSince is { } since && relay.Time.GetElapsedTime(since) >= relay.Options.SlowSubscriberTimeout)
                {
                    reason = $"flow {key.Flow} from {key.Source} was ended at {relay.Room}: its subscriber of {flow.Incoming.Endpoint} stayed over {relay.Options.EgressHoldBytes / 1024} KiB behind for {relay.Options.SlowSubscriberTimeout.TotalSeconds:F0} s";
                    slow++;
                }
                else if (flow.Untaken >= relay.Options.SlowSubscriberTimeout)
                {
                    reason = flow.Taken
                        ? $"flow {key.Flow} from {key.Source} was ended at {relay.Room}: its subscriber of {flow.Incoming.Endpoint} took nothing for {relay.Options.SlowSubscriberTimeout.TotalSeconds:F0} s"
                        : $"flow {key.Flow} from {key.Source} was ended at {relay.Room}: nobody subscribed to {flow.Incoming.Endpoint} took it for {relay.Options.SlowSubscriberTimeout.TotalSeconds:F0} s";
                    slow++;
                }
                else
                {
                    continue;
                }

                flow.Ended = new CloseFlow(key.Flow, reason, Final: true);
            }

            Finish(key, flow, reason);
        }

        return (orphans, slow);
    }

    /// <summary>
    /// A flow taken on here mid-way that no path carries now, and whose ingress resumes it past what arrived here: its
    /// path went to a sibling of this relay meanwhile (the ingress, or a transit relay, saw this one fail for a moment),
    /// which delivered more. What is here is stale: it is let go (its subscriber's side of it here ends without a close,
    /// the subscriber holds the flow through the sibling) and the flow is taken on afresh from where it resumes.
    /// </summary>
    private void LetGoIfSuperseded((string Source, ulong Flow) key, OpenFlow open)
    {
        if (open.ResumeFrom == 0 || _resumable.GetValueOrDefault(open.Endpoint) == 0 || !_egress.TryGetValue(key, out var stale))
        {
            return;
        }

        lock (stale)
        {
            if (stale.Carriers > 0 || stale.Ended is not null || open.ResumeFrom <= stale.Receiver.NextExpected)
            {
                return;
            }

            stale.Ended = new CloseFlow(key.Flow, $"flow {key.Flow} from {key.Source} went on through another relay of {relay.Room}", Final: true);
        }

        if (_egress.TryRemove(new KeyValuePair<(string Source, ulong Flow), EgressFlow>(key, stale)))
        {
            Left();
            stale.Incoming.Writer.TryComplete(new FlowMovedException($"Flow {key.Flow} from {key.Source} went on through another relay of {relay.Room}."));
            stale.Dispose();
        }
    }

    /// <summary>A media engine that can take flows on through a sibling relay took <paramref name="incoming"/>: see <see cref="EgressFlow.ConfirmDelivery"/>.</summary>
    public void ConfirmDelivery(IncomingFlow incoming) => Delivering(incoming)?.ConfirmDelivery();

    /// <summary>
    /// The client port wrote <paramref name="incoming"/>'s end to its media engine's connection (or that connection broke
    /// first): a flow whose acks wait on delivery confirms its end to its ingress only then.
    /// </summary>
    public void HandedOver(IncomingFlow incoming) => Delivering(incoming)?.HandedOver();

    /// <summary>The flow here that <paramref name="incoming"/> delivers, if it is still this one (not a later copy).</summary>
    private EgressFlow? Delivering(IncomingFlow incoming) =>
        _egress.TryGetValue((incoming.Source.Value, incoming.Id), out var flow) && ReferenceEquals(flow.Incoming, incoming) ? flow : null;

    /// <summary>
    /// The subscriber of flow <paramref name="flowId"/> from <paramref name="source"/> refuses it (it cannot take it on from
    /// where it resumed here): ended for good, and its sender told <paramref name="reason"/>. False when no such flow is here.
    /// </summary>
    public bool Refuse(string source, ulong flowId, string reason)
    {
        var key = (source, flowId);
        if (!_egress.TryGetValue(key, out var flow))
        {
            return false;
        }

        lock (flow)
        {
            if (flow.Ended is not null)
            {
                return false;
            }

            flow.Ended = new CloseFlow(flowId, $"flow {flowId} from {source} was refused by its subscriber at {relay.Room}: {reason}", Final: true);
        }

        Finish(key, flow, flow.Ended.Reason);
        return true;
    }

    /// <summary>Ends a flow whose <see cref="EgressFlow.Ended"/> is set: its subscriber's data is cut off, its sender told (now, or on its next path).</summary>
    /// <summary>
    /// A flow taken out of this relay's table is counted as gone (metrics, admission); called before its subscriber hears
    /// its end, so that whoever sees the end sees the relay's count without it.
    /// </summary>
    private void Left()
    {
        relay.Metrics.FlowEnded("egress");
        admission.FlowEnded();
    }

    private void Finish((string Source, ulong Flow) key, EgressFlow flow, string reason)
    {
        if (!_egress.TryRemove(key, out _))
        {
            return;
        }

        Left();
        RememberEnded(key, flow.Ended!);
        flow.Incoming.Writer.TryComplete(new FlowCutOffException($"Flow {key.Flow} from {key.Source} was cut off: {reason[(reason.IndexOf(": ", StringComparison.Ordinal) + 2)..]}."));
        if (!flow.Taken)
        {
            // Nobody took it: what it holds is let go (a later subscriber is told it was cut off), or flows to an
            // endpoint nobody subscribes to would keep their bytes for good.
            while (flow.Incoming.Data.TryRead(out var dropped))
            {
                ChunkArrays.Recycle(dropped);
            }
        }

        if (flow.Carriers > 0)
        {
            _ = flow.EndAsync(); // the ingress hears it on the stream carrying the flow
        }
        else
        {
            flow.Dispose(); // no stream will write for it again (a late one is answered from what was remembered)
        }
    }

    /// <summary>Runs <see cref="EndStuckFlows"/> (at a quarter of the shorter timeout) until the relay stops.</summary>
    public async Task EndStuckFlowsUntilStoppedAsync()
    {
        var every = TimeSpan.FromTicks(Math.Min(relay.Options.OrphanFlowTimeout.Ticks, relay.Options.SlowSubscriberTimeout.Ticks) / 4);
        try
        {
            while (true)
            {
                await Task.Delay(every, relay.Time, relay.Stopping).ConfigureAwait(false);
                var (orphans, slow) = EndStuckFlows();
                if (orphans > 0)
                {
                    Log.OrphansEnded(relay.Logger, relay.Room, orphans, relay.Options.OrphanFlowTimeout.TotalSeconds);
                }

                if (slow > 0)
                {
                    Log.SlowSubscribersEnded(relay.Logger, relay.Room, slow, relay.Options.SlowSubscriberTimeout.TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<bool> DeliverAsync(FrameStream frames, OpenFlow open, (string Source, ulong Flow) key, EgressFlow flow)
    {
        flow.CarriedBy(frames);

        // Acks go back in batches: when the sender asks (it has nothing more queued), or every AckBatchBytes.
        long unacknowledgedBytes = 0;
        while (await frames.ReadAsync(relay.Stopping).ConfigureAwait(false) is { } first)
        {
            var read = first;
            var ackNow = false;
            var more = true;
            while (more)
            {
                switch (read.Frame.Kind)
                {
                    case FrameKind.Data or FrameKind.DataAckNow:
                        lock (flow)
                        {
                            flow.Receiver.Accept(new FlowChunk(read.Frame.Sequence, read.Payload));
                        }

                        unacknowledgedBytes += read.Payload.Length;
                        relay.Metrics.Traffic.In(read.Payload.Length);
                        ackNow |= read.Frame.Kind == FrameKind.DataAckNow;
                        break;
                    case FrameKind.Close when read.Frame.Control is CloseFlow { CutOff: true } && !flow.IsCarriedBy(frames):
                        // Its media engine resumed the flow at another relay of its room since this one lost the engine:
                        // the flow is not cut off, it goes on there. This relay hears it is carried elsewhere.
                        await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, $"flow {open.FlowId} was resumed through another relay of {open.Source}", Final: true)).ConfigureAwait(false);
                        return true;
                    case FrameKind.Close:
                        if (flow.ConfirmsDelivery)
                        {
                            // A media engine's flow is delivered once the engine's connection has its end, not when the end
                            // arrives here: a relay that dies in between has confirmed nothing, and the ingress says the end
                            // again through a sibling (the subscriber has every chunk; the sibling takes the flow on at its end).
                            flow.Incoming.Writer.TryComplete(read.Frame.Control is CloseFlow { CutOff: true } ? new FlowCutOffException($"Flow {open.FlowId} from {open.Source} was cut off: its writer's connection ended without closing it.") : null);
                            await flow.WhenHandedOverAsync(relay.Stopping).ConfigureAwait(false);
                        }

                        if (_egress.TryRemove(key, out _))
                        {
                            Left();
                            RememberEnded(key, new CloseFlow(open.FlowId, "delivered", Delivered: true));
                            flow.Incoming.Writer.TryComplete(read.Frame.Control is CloseFlow { CutOff: true }
                                ? new FlowCutOffException($"Flow {open.FlowId} from {open.Source} was cut off: its writer's connection ended without closing it.")
                                : null);
                        }

                        await relay.SayLastAsync(frames, new CloseFlow(open.FlowId, "delivered", Delivered: true)).ConfigureAwait(false);
                        return true;
                    default:
                        throw new FrameFormatException($"Unexpected {read.Frame.Kind} frame on flow {open.FlowId}.");
                }

                more = frames.TryReadBuffered(out read);
            }

            // While the subscriber is behind, every burst is acked at once: the ingress holds before the egress holds
            // more, and what was in flight when it did (sent without asking for an ack) is not left unacknowledged.
            if (!ackNow && unacknowledgedBytes < relay.Options.AckBatchBytes && flow.Unread <= flow.HoldThreshold)
            {
                continue;
            }

            unacknowledgedBytes = 0;
            using var deadline = relay.Within(relay.Options.CloseTimeout); // a path that takes no acks is one the ingress is leaving
            await flow.AckAsync(frames, deadline.Token).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>How long a flow's end is remembered, to confirm it again to an ingress that missed the first confirmation (or tell it again why it ended).</summary>
    private static readonly TimeSpan EndMemory = TimeSpan.FromMinutes(1);

    private void RememberEnded((string Source, ulong Flow) key, CloseFlow answer)
    {
        var now = relay.Time.GetTimestamp();
        _ended[key] = (now, answer);
        if (_ended.Count > 1024)
        {
            foreach (var (old, (at, _)) in _ended)
            {
                if (relay.Time.GetElapsedTime(at, now) > EndMemory)
                {
                    _ended.TryRemove(old, out _);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Relay {Room}: ended {Count} flows arriving here as cut off: no path carried them for {Seconds} s (their ingress relays are gone)")]
        public static partial void OrphansEnded(ILogger logger, RoomId room, int count, double seconds);

        [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "Relay {Room}: ended {Count} flows arriving here whose subscribers stayed behind for {Seconds} s; their senders are told")]
        public static partial void SlowSubscribersEnded(ILogger logger, RoomId room, int count, double seconds);
    }

    /// <summary>An endpoint's queue of arriving flows, telling the relay which flows a subscriber took.</summary>
    private sealed class TakenFlows(ChannelReader<IncomingFlow> inner, Action<IncomingFlow> taken) : ChannelReader<IncomingFlow>
    {
        public override Task Completion => inner.Completion;

        public override bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out IncomingFlow item)
        {
            if (!inner.TryRead(out item))
            {
                return false;
            }

            taken(item);
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}
