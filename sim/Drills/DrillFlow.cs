using System.Buffers.Binary;
using System.Diagnostics;
using Msdn.Client;
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
    private readonly byte[] _pending = new byte[RecordBytes];
    private int _filled;
    private long _expected;
    private long _sequence;

    private readonly List<double> _moveTimes = [];
    private readonly List<double> _failoverTimes = [];

    public int Index { get; } = index;

    /// <summary>Records a second at the flow's rate.</summary>
    public double RecordsPerSecond => rateKbps * 1000 / 8 / RecordBytes;

    public string From { get; } = from;

    public string To { get; } = to;

    public string Endpoint => $"drill-{Index}";

    /// <summary>The flow's id at its ingress relay (to ask that relay where the flow runs now).</summary>
    public ulong? RelayFlowId { get; set; }

    /// <summary>The media engine's side of the flow (loopback engine): which relay it writes through now, how often it resumed.</summary>
    public ClientFlow? Writer { get; set; }

    public long BytesSent { get; private set; }

    public long BytesDelivered { get; private set; }

    public long BytesDuplicated { get; private set; }

    public long BytesReordered { get; private set; }

    /// <summary>Stopwatch ticks at which each record arrived, with its one-way latency.</summary>
    public IReadOnlyList<(long Ticks, double LatencyMs)> Arrivals => _arrivals;

    public string? Failure { get; private set; }

    private bool _pathChangesTracked;

    /// <summary>Times the flow moved to a better primary (hysteresis passed); null where the engine cannot say.</summary>
    public int? Moves => _pathChangesTracked ? _moveTimes.Count : null;

    /// <summary>Times the flow left a broken path; null where the engine cannot say.</summary>
    public int? Failovers => _pathChangesTracked ? _failoverTimes.Count : null;

    /// <summary>When (drill seconds) the flow moved to a better primary, where the engine can say.</summary>
    public IReadOnlyList<double> MoveTimes => _moveTimes;

    /// <summary>The engine records the flow's path changes (<see cref="Moved"/>, <see cref="FailedOver"/>): none is a count of 0, not unknown.</summary>
    public void TrackPathChanges() => _pathChangesTracked = true;

    /// <summary>The flow moved to a better primary at <paramref name="atSeconds"/>.</summary>
    public void Moved(double atSeconds) => _moveTimes.Add(Math.Round(atSeconds, 3));

    /// <summary>When (drill seconds) the flow left a path that failed, where the engine can say.</summary>
    public IReadOnlyList<double> FailoverTimes => _failoverTimes;

    /// <summary>The flow's path failed at <paramref name="atSeconds"/> and it left it.</summary>
    public void FailedOver(double atSeconds) => _failoverTimes.Add(Math.Round(atSeconds, 3));

    private readonly List<PathUse> _paths = [];
    private readonly Lock _pathsLock = new();
    private (double From, string[] Path)? _onPath;

    /// <summary>The paths the flow ran on, each from when it took it to when it left it (the one it is on is closed by <see cref="PathsEnd"/>).</summary>
    public IReadOnlyList<PathUse> PathsUsed
    {
        get
        {
            lock (_pathsLock)
            {
                return [.. _paths];
            }
        }
    }

    /// <summary>The flow runs on <paramref name="path"/> from <paramref name="atSeconds"/> (null: on none).</summary>
    public void OnPath(double atSeconds, IReadOnlyList<string>? path)
    {
        lock (_pathsLock)
        {
            if (_onPath is { } on && (path is null || !on.Path.SequenceEqual(path)))
            {
                _paths.Add(new PathUse(Math.Round(on.From, 3), Math.Round(atSeconds, 3), on.Path));
                _onPath = null;
            }

            if (path is { Count: > 1 } && _onPath is null)
            {
                _onPath = (atSeconds, [.. path]);
            }
        }
    }

    /// <summary>The drill ended at <paramref name="atSeconds"/>: the path the flow is on is closed there.</summary>
    public void PathsEnd(double atSeconds) => OnPath(atSeconds, null);

    /// <summary>Writes records at the flow's rate until <paramref name="until"/> (drill clock), then completes the flow.</summary>
    public async Task WriteAsync(ClientFlow flow, Stopwatch clock, TimeSpan until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(clock);
        var started = clock.Elapsed;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (clock.Elapsed < until)
            {
                var due = TakeDue((clock.Elapsed - started).TotalSeconds, Stopwatch.GetTimestamp());
                if (due.Length > 0)
                {
                    await flow.WriteAsync(due, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The records due by <paramref name="elapsedSeconds"/> of writing at the flow's rate, numbered on from
    /// the last ones and stamped with <paramref name="nowTicks"/> (Stopwatch ticks, real or virtual), counted as sent.
    /// </summary>
    public byte[] TakeDue(double elapsedSeconds, long nowTicks)
    {
        var due = (long)(elapsedSeconds * rateKbps * 1000 / 8 / RecordBytes);
        var count = (int)Math.Max(0, due - _sequence);
        var records = new byte[count * RecordBytes];
        for (var i = 0; i < count; i++)
        {
            var record = records.AsSpan(i * RecordBytes, RecordBytes);
            BinaryPrimitives.WriteInt32LittleEndian(record, Index);
            BinaryPrimitives.WriteInt64LittleEndian(record[4..], _sequence++);
            BinaryPrimitives.WriteInt64LittleEndian(record[12..], nowTicks);
        }

        BytesSent += records.Length;
        return records;
    }

    /// <summary>Reads the flow to its end, checking every record.</summary>
    public async Task ReadAsync(IncomingFlow incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        try
        {
            await foreach (var chunk in incoming.Data.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Receive(chunk.Span, Stopwatch.GetTimestamp());
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Failure ??= $"reader: {e.Message}";
        }
    }

    /// <summary>Bytes of the records due by <paramref name="elapsedSeconds"/> and not yet taken.</summary>
    public long PendingBytes(double elapsedSeconds) => Math.Max(0, (long)(elapsedSeconds * rateKbps * 1000 / 8 / RecordBytes) - _sequence) * RecordBytes;

    /// <summary>Notes why the flow could not finish (the first reason counts).</summary>
    public void Fail(string reason) => Failure ??= reason;

    /// <summary>Takes delivered bytes that arrived at <paramref name="nowTicks"/> (Stopwatch ticks, real or virtual), checking each whole record.</summary>
    public void Receive(ReadOnlySpan<byte> data, long nowTicks)
    {
        while (!data.IsEmpty)
        {
            var take = Math.Min(RecordBytes - _filled, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_filled));
            _filled += take;
            data = data[take..];
            if (_filled == RecordBytes)
            {
                Check(_pending, nowTicks);
                _filled = 0;
            }
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
        _arrivals.Add((now, (now - sent) * 1000.0 / Stopwatch.Frequency));
    }
}
