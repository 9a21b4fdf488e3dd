using System.Diagnostics;

namespace Msdn.Overlay.Load;

/// <summary>
/// Measures the relay's load each time it is asked (once per report): rates from the traffic counters and
/// CPU time since the previous sample, flows and resident memory as they are now. Thread-safe.
/// </summary>
public sealed class RelayLoadMeter
{
    private readonly RelayTraffic _traffic;
    private readonly Func<int> _flows;
    private readonly RelayCapacity _capacity;
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _cpuTime;
    private readonly Func<long> _memory;
    private readonly Lock _lock = new();
    private TrafficTotals _lastTotals;
    private TimeSpan _lastCpu;
    private long _lastAt;

    /// <param name="cpuTime">CPU time the process has used (default: this process's).</param>
    /// <param name="memory">Resident bytes (default: this process's working set).</param>
    public RelayLoadMeter(RelayTraffic traffic, Func<int> flows, RelayCapacity capacity, TimeProvider time, Func<TimeSpan>? cpuTime = null, Func<long>? memory = null)
    {
        _traffic = traffic;
        _flows = flows;
        _capacity = capacity;
        _time = time;
        _cpuTime = cpuTime ?? ProcessCpuTime;
        _memory = memory ?? (() => Environment.WorkingSet);
        _lastTotals = traffic.Totals;
        _lastCpu = _cpuTime();
        _lastAt = time.GetTimestamp();
    }

    public RelayCapacity Capacity => _capacity;

    /// <summary>The last sample taken (idle before the first).</summary>
    public RelayLoad Latest { get; private set; } = RelayLoad.Idle;

    /// <summary>
    /// The last sample's rates with the flows and memory as they are now: what a report says. A drain right after
    /// the last flow ended must not report the flows of a second ago (the controller would answer that the room is busy).
    /// </summary>
    public RelayLoad Now()
    {
        var latest = Latest;
        return Measure(_flows(), latest.BytesInPerSecond, latest.BytesOutPerSecond, latest.UnitsInPerSecond, latest.UnitsOutPerSecond, latest.Cpu, _memory());
    }

    /// <summary>The load since the previous sample (since the meter started, for the first).</summary>
    public RelayLoad Sample()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var totals = _traffic.Totals;
            var cpu = _cpuTime();
            var seconds = _time.GetElapsedTime(_lastAt, now).TotalSeconds;
            double Rate(long delta) => seconds > 0 ? Math.Max(0, delta) / seconds : 0;
            var load = Measure(
                _flows(),
                Rate(totals.BytesIn - _lastTotals.BytesIn),
                Rate(totals.BytesOut - _lastTotals.BytesOut),
                Rate(totals.UnitsIn - _lastTotals.UnitsIn),
                Rate(totals.UnitsOut - _lastTotals.UnitsOut),
                seconds > 0 ? Math.Max(0, (cpu - _lastCpu).TotalSeconds) / seconds : 0,
                _memory());
            _lastTotals = totals;
            _lastCpu = cpu;
            _lastAt = now;
            Latest = load;
            return load;
        }
    }

    private RelayLoad Measure(int flows, double bytesIn, double bytesOut, double unitsIn, double unitsOut, double cpu, long memory)
    {
        var utilization = Math.Max(
            Math.Max((double)flows / _capacity.Flows, Math.Max(bytesIn, bytesOut) / _capacity.BytesPerSecond),
            Math.Max(cpu / _capacity.Cpu, memory / (_capacity.MemoryMiB * 1024.0 * 1024.0)));
        return new RelayLoad(flows, bytesIn, bytesOut, unitsIn, unitsOut, cpu, memory, utilization);
    }

    private static TimeSpan ProcessCpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
