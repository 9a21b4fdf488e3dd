using Microsoft.Extensions.Time.Testing;
using Msdn.Overlay.Load;

namespace Msdn.Overlay.Tests.Load;

public sealed class RelayLoadMeterTests
{
    [Fact]
    public void Rates_are_per_second_since_the_last_sample_and_utilization_is_the_largest_share()
    {
        var time = new FakeTimeProvider();
        var traffic = new RelayTraffic();
        var flows = 0;
        var cpu = TimeSpan.Zero;
        long memory = 512L << 20;
        var capacity = new RelayCapacity { Flows = 100, BytesPerSecond = 10_000_000, Cpu = 2, MemoryMiB = 4096 };
        var meter = new RelayLoadMeter(traffic, () => flows, capacity, time, () => cpu, () => memory);

        traffic.In(4_000_000, units: 250);
        traffic.Out(6_000_000, units: 400);
        cpu += TimeSpan.FromSeconds(1);
        flows = 10;
        time.Advance(TimeSpan.FromSeconds(2));
        var load = meter.Sample();

        Assert.Equal(10, load.Flows);
        Assert.Equal(2_000_000, load.BytesInPerSecond);
        Assert.Equal(3_000_000, load.BytesOutPerSecond);
        Assert.Equal(125, load.UnitsInPerSecond);
        Assert.Equal(200, load.UnitsOutPerSecond);
        Assert.Equal(0.5, load.Cpu);
        Assert.Equal(memory, load.MemoryBytes);
        Assert.Equal(0.3, load.Utilization, 6); // bytes out: 3 MB/s of 10; flows 10 %, CPU 25 %, memory 12.5 %
        Assert.Same(load, meter.Latest);

        // Nothing moved in the next second: the rates fall to zero, the flows still count.
        flows = 90;
        time.Advance(TimeSpan.FromSeconds(1));
        var idle = meter.Sample();
        Assert.Equal(0, idle.BytesInPerSecond);
        Assert.Equal(0, idle.Cpu);
        Assert.Equal(0.9, idle.Utilization, 6);

        // Between samples, the flows and memory are as they are now, the rates as last sampled.
        flows = 0;
        var now = meter.Now();
        Assert.Equal(0, now.Flows);
        Assert.Equal(0.125, now.Utilization, 6);
    }

    [Fact]
    public void A_relay_short_of_cpu_is_busy_however_few_its_flows()
    {
        var time = new FakeTimeProvider();
        var cpu = TimeSpan.Zero;
        var meter = new RelayLoadMeter(new RelayTraffic(), () => 1, new RelayCapacity { Cpu = 1 }, time, () => cpu, () => 0);
        cpu += TimeSpan.FromSeconds(0.95);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0.95, meter.Sample().Utilization, 6);
    }
}
