using System.Buffers.Binary;
using System.Diagnostics;
using Msdn.Overlay.Client;
using Msdn.Overlay.Relay;

namespace Msdn.Sim.Drills;

/// <summary>
/// One reliable flow of a drill: the writer sends numbered, timestamped records at the flow's rate; the
/// reader checks every record arrives once and in order, and notes when each arrived (delivery rate,
/// latency and stalls around faults come from that).
/// </summary>
public sealed class DrillFlow(int index, string from, string to, double rateKbps)
{
    public const int RecordBytes = 512;

    private readonly List<(long Ticks, double LatencyMs)> _arrivals = [];
    private long _expected;

    public int Index { get; } = index;

    public string From { get; } = from;

    public string To { get; } = to;

    public string Endpoint => $"drill-{Index}";

    /// <summary>The flow's id at its ingress relay (to ask that relay where the flow runs now).</summary>
    public ulong? RelayFlowId { get; set; }

    public long BytesSent { get; private set; }

    public long BytesDelivered { get; private set; }

    public long BytesDuplicated { get; private set; }

    public long BytesReordered { get; private set; }

    /// <summary>Stopwatch ticks at which each record arrived, with its one-way latency.</summary>
    public IReadOnlyList<(long Ticks, double LatencyMs)> Arrivals => _arrivals;

    public string? Failure { get; private set; }

    /// <summary>Writes records at the flow's rate until <paramref name="until"/> (drill clock), then completes the flow.</summary>
    public async Task WriteAsync(ClientFlow flow, Stopwatch clock, TimeSpan until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(clock);
        var bytesPerSecond = rateKbps * 1000 / 8;
        var started = clock.Elapsed;
        long sequence = 0;
        var record = new byte[RecordBytes];
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (clock.Elapsed < until)
            {
                var due = (long)((clock.Elapsed - started).TotalSeconds * bytesPerSecond / RecordBytes);
                while (sequence < due)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(record, Index);
                    BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), sequence++);
                    BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(12), Stopwatch.GetTimestamp());
                    await flow.WriteAsync(record, cancellationToken).ConfigureAwait(false);
                    BytesSent += RecordBytes;
                }

                await tick.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }

            await flow.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Failure = $"writer: {e.Message}";
        }
    }

    /// <summary>Reads the flow to its end, checking every record.</summary>
    public async Task ReadAsync(IncomingFlow incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var pending = new byte[RecordBytes];
        var filled = 0;
        try
        {
            await foreach (var chunk in incoming.Data.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var at = 0;
                while (at < chunk.Length)
                {
                    var take = Math.Min(RecordBytes - filled, chunk.Length - at);
                    chunk.AsSpan(at, take).CopyTo(pending.AsSpan(filled));
                    filled += take;
                    at += take;
                    if (filled == RecordBytes)
                    {
                        Check(pending, now);
                        filled = 0;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Failure ??= $"reader: {e.Message}";
        }
    }

    private void Check(byte[] record, long now)
    {
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(4));
        var sent = BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(12));
        if (BinaryPrimitives.ReadInt32LittleEndian(record) != Index || sequence < _expected)
        {
            BytesDuplicated += RecordBytes; // a record seen before, or not this flow's
            return;
        }

        if (sequence > _expected)
        {
            BytesReordered += (sequence - _expected) * RecordBytes; // records skipped: out of order, or lost
        }

        _expected = sequence + 1;
        BytesDelivered += RecordBytes;
        _arrivals.Add((now, Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds));
    }
}
