using Msdn.Client;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;
using Msdn.Overlay.Metrics;

namespace Msdn.Overlay.Relay;

/// <summary>
/// One flow arriving here: its in-order receiver feeding the subscriber's <see cref="IncomingFlow"/>, what the
/// subscriber has not read yet (bounded: past <see cref="RelayNodeOptions.EgressHoldBytes"/> the acks ask the
/// ingress to hold, and once the subscriber has read half of it back a plain ack lets it go on), the streams
/// carrying it, and whether it was ended for want of one.
/// </summary>
internal sealed class EgressFlow : IDisposable
{
    private readonly RelayContext _relay;
    private readonly SemaphoreSlim _acking = new(1, 1);
    private long _unread;

    /// <summary>Since when data has waited with nothing of it taken (a timestamp; 0 while none waits).</summary>
    private long _waitingSince;

    /// <summary>The next chunk not yet taken by the subscriber (for a media engine's subscription: written to its connection).</summary>
    private long _delivered;

    /// <summary>The last ack sent, and when (a timestamp): a subscriber taking chunks moves the ack on from there.</summary>
    private long _lastAcked;
    private long _lastAckedAt;
    private int _ackScheduled;
    private volatile bool _confirmsDelivery;
    private FrameStream? _carrier;

    /// <param name="firstChunk">0, or the chunk a flow resumes from here after the relay of this room that delivered it died.</param>
    public EgressFlow(RelayContext relay, RoomId source, ulong id, string endpoint, RelayMetrics metrics, ulong firstChunk = 0)
    {
        _relay = relay;
        Id = id;
        Incoming = new IncomingFlow(source, id, endpoint, Consumed) { FirstChunk = firstChunk };
        LastCarriedAt = relay.Time.GetTimestamp();

        // Each payload is already a buffer of its own (read from the frame): handed over without copying.
        Receiver = new FlowReceiver(data =>
        {
            if (Interlocked.Add(ref _unread, data.Length) == data.Length)
            {
                Interlocked.CompareExchange(ref _waitingSince, _relay.Time.GetTimestamp(), 0); // data waits, nothing taken yet
            }

            Incoming.Writer.TryWrite(data);
            metrics.BytesOut(data.Length);
        });
        Receiver.StartAt(firstChunk);
        _delivered = (long)firstChunk;
    }

    public ulong Id { get; }

    public IncomingFlow Incoming { get; }

    /// <summary>Chunks in order, exactly once (under this object's lock).</summary>
    public FlowReceiver Receiver { get; }

    /// <summary>Bytes handed to the subscriber that it has not read yet.</summary>
    public long Unread => Interlocked.Read(ref _unread);

    /// <summary>How long data has waited with the subscriber taking none of it; null while none waits.</summary>
    public TimeSpan? Untaken => Interlocked.Read(ref _waitingSince) is var since and not 0 ? _relay.Time.GetElapsedTime(since) : null;

    /// <summary>A subscriber took the flow from its endpoint's queue.</summary>
    public bool Taken { get; set; }

    /// <summary>
    /// The flow is delivered to a media engine that can take it on through a sibling relay if this one dies: its acks
    /// then say what reached the engine's connection, not what arrived here, so the ingress keeps the rest for the sibling
    /// (while the subscriber is behind, <see cref="HoldThreshold"/> unread, they say what arrived, and ask to hold).
    /// </summary>
    public void ConfirmDelivery() => _confirmsDelivery = true;

    /// <summary>Whether the flow's acks wait on delivery to a media engine (<see cref="ConfirmDelivery"/>): so does its end's confirmation.</summary>
    public bool ConfirmsDelivery => _confirmsDelivery;

    private readonly TaskCompletionSource _handedOver = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The media engine's connection took the flow's end (or broke before it could).</summary>
    public void HandedOver() => _handedOver.TrySetResult();

    /// <summary>Completes once <see cref="HandedOver"/> was called.</summary>
    public Task WhenHandedOverAsync(CancellationToken cancellationToken) => _handedOver.Task.WaitAsync(cancellationToken);

    /// <summary>Unread bytes past which the acks ask the ingress to hold: half the hold for a flow whose acks wait on delivery, so it holds before its window fills.</summary>
    public long HoldThreshold => _confirmsDelivery ? _relay.Options.EgressHoldBytes / 2 : _relay.Options.EgressHoldBytes;

    /// <summary>Whether the last ack sent asked the ingress to hold.</summary>
    public bool Holding { get; private set; }

    /// <summary>Streams delivering this flow now (under this object's lock, as the next two).</summary>
    public int Carriers { get; set; }

    /// <summary>When the last stream carrying it ended (or it arrived).</summary>
    public long LastCarriedAt { get; set; }

    /// <summary>Ended here for good (no path carried it, or its subscriber held it back too long): what a stream that comes for it now is told.</summary>
    public CloseFlow? Ended { get; set; }

    /// <summary>Since when the acks have asked the ingress to hold; null while they do not.</summary>
    public long? HoldingSince { get; private set; }

    /// <summary>The stream that carries the flow now: acks go back on it.</summary>
    public void CarriedBy(FrameStream frames) => Volatile.Write(ref _carrier, frames);

    /// <summary>Whether <paramref name="frames"/> is the stream that carries the flow now (a later one took over otherwise).</summary>
    public bool IsCarriedBy(FrameStream frames) => ReferenceEquals(Volatile.Read(ref _carrier), frames);

    /// <summary>Acknowledges everything received on <paramref name="frames"/>, asking the ingress to hold while the subscriber is behind.</summary>
    public async Task AckAsync(FrameStream frames, CancellationToken cancellationToken)
    {
        await _acking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ulong next;
            lock (this)
            {
                next = Receiver.NextExpected;
            }

            Holding = Unread > HoldThreshold;
            if (_confirmsDelivery && !Holding)
            {
                next = Math.Min(next, (ulong)Interlocked.Read(ref _delivered));
            }

            Interlocked.Exchange(ref _lastAcked, (long)next);
            Interlocked.Exchange(ref _lastAckedAt, _relay.Time.GetTimestamp());
            HoldingSince = Holding ? HoldingSince ?? _relay.Time.GetTimestamp() : null;
            await frames.WriteAsync(Holding ? Frame.AckHold(Id, next) : Frame.Ack(Id, next), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _acking.Release();
        }
    }

    /// <summary>Tells the ingress, on the stream carrying the flow (if one does), that it was ended here for good.</summary>
    public async Task EndAsync()
    {
        if (Ended is not { } ended || Volatile.Read(ref _carrier) is not { } carrier)
        {
            return;
        }

        try
        {
            using var deadline = _relay.Within(_relay.Options.CloseTimeout);
            await _acking.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                await carrier.WriteAsync(Frame.Close(ended), deadline.Token).ConfigureAwait(false);
            }
            finally
            {
                _acking.Release();
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // that stream is gone: the ingress hears it when its next path asks (EgressDelivery remembers the end)
        }
    }

    /// <summary>Once no stream carries the flow and none will again (it was ended here).</summary>
    public void Dispose() => _acking.Dispose();

    /// <summary>The subscriber took a chunk: once it has read half of what was held, the ingress may go on.</summary>
    private void Consumed(int bytes)
    {
        var unread = Interlocked.Add(ref _unread, -bytes);
        var delivered = Interlocked.Increment(ref _delivered);
        Interlocked.Exchange(ref _waitingSince, unread > 0 ? _relay.Time.GetTimestamp() : 0);
        if (Holding && unread <= HoldThreshold / 2 && Volatile.Read(ref _carrier) is { } carrier)
        {
            ReleaseHold(carrier);
        }
        else if (_confirmsDelivery && !Holding && DeliveryWorthAnAck(unread, delivered) && Volatile.Read(ref _carrier) is { } confirming)
        {
            ReleaseHold(confirming);
        }
    }

    /// <summary>
    /// Whether what reached the subscriber since the last ack is worth one now: all of it did (the ingress may be waiting
    /// on it), a batch did, or a quarter of the ack timeout passed (a slow subscriber still shows progress in time).
    /// </summary>
    private bool DeliveryWorthAnAck(long unread, long delivered)
    {
        var since = delivered - Interlocked.Read(ref _lastAcked);
        return since > 0
            && (unread == 0
                || since * _relay.Options.MaxChunkBytes >= _relay.Options.AckBatchBytes
                || _relay.Time.GetElapsedTime(Interlocked.Read(ref _lastAckedAt)) >= _relay.Options.AckTimeout / 4)
            && Interlocked.CompareExchange(ref _ackScheduled, 1, 0) == 0;
    }

    /// <summary>Acks now, without the hold (a method of its own: a closure in <see cref="Consumed"/> would be allocated on every chunk taken).</summary>
    private void ReleaseHold(FrameStream carrier) =>
        _ = Task.Run(async () =>
        {
            try
            {
                using var deadline = _relay.Within(_relay.Options.CloseTimeout);
                await AckAsync(carrier, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // that stream is gone: the ingress's next path opens with an ack of its own
            }
            finally
            {
                Volatile.Write(ref _ackScheduled, 0);
            }
        });
}
