using Msdn.Graph.Topology;
using Msdn.Overlay.Failover;
using Msdn.Overlay.Flows;

namespace Msdn.Overlay.Relay;

/// <summary>
/// A flow a local media engine opened at this relay (the ingress): write ordered bytes; the relay carries
/// them along the route and fails over to the backup path, replaying what is unacknowledged.
/// </summary>
public sealed class RelayFlow
{
    private readonly Msdn.Overlay.Metrics.RelayMetrics _metrics;

    internal RelayFlow(ulong id, string endpoint, FlowCore core, Msdn.Overlay.Metrics.RelayMetrics metrics, CancellationToken stopping)
    {
        _metrics = metrics;
        Run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Id = id;
        Endpoint = endpoint;
        Core = core;
    }

    public ulong Id { get; }

    public RoomId Destination => Core.Destination;

    public string Endpoint { get; }

    public int Failovers => Core.Failovers;

    /// <summary>Times the flow left a working path for a better primary from a new route table.</summary>
    public int Moves => Core.Moves;

    /// <summary>Times a new route table's primary replaced a path still being set up during a failover.</summary>
    public int Rescues => Core.Rescues;

    /// <summary>
    /// Each failover: from the fault (the last ack before a silence, or the moment a break was detected:
    /// a broken stream, a down signal, a refusal) to the first ack on the new path: the delivery gap the far
    /// end saw, teardown of the old path and set-up of the new one included.
    /// </summary>
    public IReadOnlyList<TimeSpan> FailoverTimes => Core.FailoverTimes;

    /// <summary>The rooms of the path currently carrying the flow.</summary>
    public IReadOnlyList<RoomId> CurrentPath => Core.CurrentPath;

    /// <summary>The flow's decisions (paths, failovers, moves), driven by the relay's I/O.</summary>
    internal FlowCore Core { get; }

    internal FlowSender Sender => Core.Sender;

    /// <summary>The flow failed for good (a writer may hear it a moment before <see cref="Completion"/> says so).</summary>
    internal bool HasFailed => Completion.IsFaulted || Sender.Failure is not null;

    /// <summary>When the path carrying the flow failed, until the first ack on a new path (timestamp).</summary>
    internal long? FaultAt => Core.FaultAt;

    /// <summary>Completes when everything written has been acknowledged by the egress.</summary>
    public Task Completion { get; internal set; } = Task.CompletedTask;

    /// <summary>Appends <paramref name="data"/> to the flow; waits while the unacknowledged buffer is full (backpressure).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (Completion.IsFaulted)
        {
            await Completion.ConfigureAwait(false); // the flow failed for good: say why rather than buffer into nothing
        }

        await Sender.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        _metrics.BytesIn(data.Length);
    }

    /// <summary>
    /// Appends chunk <paramref name="sequence"/> as a media engine numbered it (its end-to-end acks count its chunks):
    /// false for one the flow already has (re-sent after a resumption). See <see cref="FlowSender.WriteChunkAsync"/>.
    /// </summary>
    public ValueTask<bool> WriteChunkAsync(ulong sequence, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        AppendChunkAsync(sequence, data, handedOver: false, cancellationToken);

    /// <summary>As <see cref="WriteChunkAsync"/>, for a chunk whose pooled array the flow keeps once it takes it (see <see cref="FlowSender.HandOverChunkAsync"/>).</summary>
    internal ValueTask<bool> HandOverChunkAsync(ulong sequence, ReadOnlyMemory<byte> pooledChunk, CancellationToken cancellationToken) =>
        AppendChunkAsync(sequence, pooledChunk, handedOver: true, cancellationToken);

    private async ValueTask<bool> AppendChunkAsync(ulong sequence, ReadOnlyMemory<byte> data, bool handedOver, CancellationToken cancellationToken)
    {
        if (Completion.IsFaulted)
        {
            await Completion.ConfigureAwait(false);
        }

        var taken = await Sender.AppendChunkAsync(sequence, data, handedOver, cancellationToken).ConfigureAwait(false);
        if (taken)
        {
            _metrics.BytesIn(data.Length);
        }

        return taken;
    }

    /// <summary>Ends the flow's run here: the relay stops, or lets the flow go (<see cref="Abandon"/>).</summary>
    internal CancellationTokenSource Run { get; }

    /// <summary>Stops carrying the flow here, as if the relay stopped under it (its engine resumes it at a sibling); false once it ended.</summary>
    internal bool Abandon()
    {
        try
        {
            Run.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The relay stopped under the flow (it was not refused or failed): its media engine resumes it at a sibling.</summary>
    internal bool Abandoned => Sender.Failure is OperationCanceledException || Completion.IsCanceled;

    /// <summary>Completes when the destination relay has delivered everything written so far.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Sender.WhenAllAcknowledgedAsync(cancellationToken);

    /// <summary>No more data: the flow ends once the egress has acknowledged everything.</summary>
    public void CompleteWriting() => Core.CompleteWriting();

    /// <summary>
    /// No more data, and the writer did not close the flow (its connection ended first): what was written is
    /// delivered, and the subscriber is told the flow was cut off. No effect once writing was completed.
    /// </summary>
    public void CutOff() => Core.CompleteWriting(cutOff: true);
}
