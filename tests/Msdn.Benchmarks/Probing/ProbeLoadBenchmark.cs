using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Transport;

namespace Msdn.Benchmarks.Probing;

/// <summary>
/// One virtual second of one agent probing 1,000 peers at the base interval, on the in-memory network:
/// 1,000 requests sent and signed, 1,000 requests verified and answered by the peers, 1,000 replies
/// verified and measured — exactly what one room's agent does per second in a full mesh (it also answers
/// every other room's probes). The mean is CPU time per second of probing; target < 5 % of one core (50 ms).
/// </summary>
[MemoryDiagnoser]
public class ProbeLoadBenchmark
{
    private readonly List<ProbeAgent> _agents = [];
    private FakeTimeProvider _clock = null!;
    private ProbeAgent _prober = null!;
    private long _bytesBefore;
    private long _requestsBefore;
    private DateTimeOffset _measuredFrom;

    [Params(1000)]
    public int Peers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _clock = new FakeTimeProvider();
        var network = new InMemoryProbeNetwork(_clock);
        var key = Convert.ToBase64String(new byte[32]);
        var rooms = Enumerable.Range(0, Peers + 1).Select(i => new RoomId($"room-{i:D4}")).ToList();
        foreach (var room in rooms)
        {
            var agent = new ProbeAgent(new ProbeAgentOptions { Room = room.Value, ClusterKey = key }, network.CreateSocket(Address(room)), _clock, NullLogger<ProbeAgent>.Instance, seed: _agents.Count);
            agent.Start();
            _agents.Add(agent);
        }

        _prober = _agents[0];
        _prober.SetPeers(rooms.Skip(1).Select(r => new ProbePeer(r, Address(r))));
        OneSecond(); // every peer gets its first probe within the first base interval
        OneSecond();
        _bytesBefore = _prober.Counters.BytesSent;
        _requestsBefore = _prober.Counters.RequestsSent;
        _measuredFrom = _clock.GetUtcNow();
    }

    [Benchmark]
    public void OneSecond()
    {
        for (var i = 0; i < 100; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var seconds = (_clock.GetUtcNow() - _measuredFrom).TotalSeconds;
        var requests = _prober.Counters.RequestsSent - _requestsBefore;
        var bytes = _prober.Counters.BytesSent - _bytesBefore;
        var ratePerSecond = requests / Math.Max(1, seconds);
        Console.WriteLine($"// probe load: {ratePerSecond:F0} requests/s, {bytes / (double)Math.Max(1, requests):F0} bytes per request; " +
            $"a full-mesh agent sends as many replies, so about {2 * ratePerSecond * (bytes / (double)Math.Max(1, requests)) / 1024:F1} KiB/s of UDP payload");
        foreach (var agent in _agents)
        {
            agent.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static DnsEndPoint Address(RoomId room) => new(room.Value, 4000);
}
