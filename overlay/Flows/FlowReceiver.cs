namespace Msdn.Overlay.Flows;

/// <summary>
/// The egress side of one flow: delivers chunks in sequence order exactly once, whatever order and
/// however many times they arrive (around a failover the old path's tail and the new path's replay
/// overlap). Early chunks wait, bounded; duplicates are dropped. <see cref="NextExpected"/> is the
/// cumulative ack to send back.
/// </summary>
public sealed class FlowReceiver(Action<ReadOnlyMemory<byte>> deliver, int maxEarlyChunks = 1024)
{
    private readonly SortedDictionary<ulong, ReadOnlyMemory<byte>> _early = [];

    public ulong NextExpected { get; private set; }

    /// <summary>Starts at chunk <paramref name="sequence"/>: a flow another relay of this room delivered until it died (before anything arrives).</summary>
    public void StartAt(ulong sequence)
    {
        if (NextExpected != 0 || _early.Count != 0)
        {
            throw new InvalidOperationException("A receiver starts later only before anything arrived.");
        }

        NextExpected = sequence;
    }

    public long DuplicatesDropped { get; private set; }

    public long BytesDelivered { get; private set; }

    /// <summary>
    /// Takes one arriving chunk. False when it arrived too early to hold (more than the early window ahead):
    /// it is not accepted, and the sender will carry it again since it stays unacknowledged.
    /// </summary>
    public bool Accept(FlowChunk chunk)
    {
        if (chunk.Sequence < NextExpected || _early.ContainsKey(chunk.Sequence))
        {
            DuplicatesDropped++;
            return true;
        }

        if (chunk.Sequence > NextExpected)
        {
            if (_early.Count >= maxEarlyChunks)
            {
                return false;
            }

            _early[chunk.Sequence] = chunk.Payload;
            return true;
        }

        Deliver(chunk.Payload);
        while (_early.Remove(NextExpected, out var next))
        {
            Deliver(next);
        }

        return true;
    }

    private void Deliver(ReadOnlyMemory<byte> payload)
    {
        deliver(payload);
        BytesDelivered += payload.Length;
        NextExpected++;
    }
}
