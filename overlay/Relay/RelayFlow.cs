using Msdn.Graph.Topology;
using Msdn.Overlay.Flows;

namespace Msdn.Overlay.Relay;

/// <summary>
/// A flow a local media engine opened at this relay (the ingress): write ordered bytes; the relay carries
/// them along the route and fails over to the backup path, replaying what is unacknowledged.
/// </summary>
public sealed class RelayFlow
{
    private readonly TaskCompletionSource _writesDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Msdn.Overlay.Metrics.RelayMetrics _metrics;

    internal RelayFlow(ulong id, RoomId destination, string endpoint, RelayNodeOptions options, Msdn.Overlay.Metrics.RelayMetrics metrics)
    {
        _metrics = metrics;
        Id = id;
        Destination = destination;
        Endpoint = endpoint;
        Sender = new FlowSender(options.MaxChunkBytes, options.MaxUnacknowledgedBytes);
    }

    public ulong Id { get; }

    public RoomId Destination { get; }

    public string Endpoint { get; }

    public int Failovers { get; internal set; }

    /// <summary>Times the flow left a working path for a better primary from a new route table.</summary>
    public int Moves { get; internal set; }

    /// <summary>
    /// Each failover: from the fault (the last ack before a silence, or the moment a break was detected:
    /// a broken stream, a down signal, a refusal) to the first ack on the new path: the delivery gap the far
    /// end saw, teardown of the old path and set-up of the new one included.
    /// </summary>
    public List<TimeSpan> FailoverTimes { get; } = [];

    /// <summary>The rooms of the path currently carrying the flow.</summary>
    public IReadOnlyList<RoomId> CurrentPath { get; internal set; } = [];

    internal FlowSender Sender { get; }

    /// <summary>Whether the current path has returned an ack.</summary>
    internal bool PathEstablished { get; set; }

    /// <summary>When the path carrying the flow failed, until the first ack on a new path (timestamp).</summary>
    internal long? FaultAt { get; set; }

    internal Task WritesDone => _writesDone.Task;

    /// <summary>Completes when everything written has been acknowledged by the egress.</summary>
    public Task Completion { get; internal set; } = Task.CompletedTask;

    /// <summary>Appends <paramref name="data"/> to the flow; waits while the unacknowledged buffer is full (backpressure).</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (Completion.IsFaulted)
        {
            await Completion.ConfigureAwait(false); // the flow failed for good: say why rather than buffer into nothing
        }

        await Sender.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        _metrics.BytesIn(data.Length);
    }

    /// <summary>Completes when the destination relay has delivered everything written so far.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Sender.WhenAllAcknowledgedAsync(cancellationToken);

    /// <summary>No more data: the flow ends once the egress has acknowledged everything.</summary>
    public void CompleteWriting() => _writesDone.TrySetResult();
}
