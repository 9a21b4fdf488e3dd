using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Reports;
using Msdn.Probe.Transport;

namespace Msdn.Probe.Tests.Support;

/// <summary>Probe agents on the in-memory network under one fake clock: virtual time, deterministic.</summary>
internal sealed class VirtualProbeWorld : IAsyncDisposable
{
    public static readonly string Key = Convert.ToBase64String([.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))]);

    private readonly Dictionary<RoomId, ProbeAgent> _agents = [];

    public VirtualProbeWorld()
    {
        Network = new InMemoryProbeNetwork(Clock);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));

    public InMemoryProbeNetwork Network { get; }

    public ProbeAgent this[RoomId room] => _agents[room];

    public static EndPoint Address(RoomId room) => new DnsEndPoint(room.Value, 4000);

    public static ProbeAgentOptions Options(RoomId room) => new() { Room = room.Value, ClusterKey = Key };

    /// <summary>Starts one agent per room, each probing all the others.</summary>
    public void Start(IEnumerable<RoomId> rooms, Func<RoomId, ProbeAgentOptions>? options = null, IProbeReportSink? reports = null)
    {
        var all = rooms.ToList();
        var seed = 1;
        foreach (var room in all)
        {
            var agent = new ProbeAgent((options ?? Options)(room), Network.CreateSocket(Address(room)), Clock, NullLogger<ProbeAgent>.Instance, reports, seed++);
            _agents.Add(room, agent);
            agent.Start();
            agent.SetPeers(all.Where(r => r != room).Select(r => new ProbePeer(r, Address(r))));
        }
    }

    /// <summary>Advances the clock in small steps so every timer fires close to its due time.</summary>
    public void Run(TimeSpan duration, TimeSpan? step = null)
    {
        var tick = step ?? TimeSpan.FromMilliseconds(1);
        for (var elapsed = TimeSpan.Zero; elapsed < duration; elapsed += tick)
        {
            Clock.Advance(tick);
        }
    }

    /// <summary>Advances until <paramref name="condition"/> holds; false if <paramref name="limit"/> passes first.</summary>
    public bool RunUntil(Func<bool> condition, TimeSpan limit)
    {
        var tick = TimeSpan.FromMilliseconds(1);
        for (var elapsed = TimeSpan.Zero; elapsed < limit; elapsed += tick)
        {
            if (condition())
            {
                return true;
            }

            Clock.Advance(tick);
        }

        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisposeAsync();
        }
    }
}
