using Msdn.Probe.Transport;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The truth the virtual engine's components measure and suffer: every directed link's delay (the
/// world's RTT, slow degradation, a fault's extra delay, random jitter) and loss (background bursty
/// loss, a fault's loss, a cut), which relays are alive or draining, and whether the controller is
/// reachable. A room holds <see cref="NodesPerRoom"/> relays (nodes), numbered <c>room × NodesPerRoom + k</c>: a room
/// is alive while any of its nodes is; links are between rooms (a room's nodes share its links). All chance comes from the drill's seeded random source, or for probes from their link's seeded stream (<see cref="LinkStreams"/>). Links live in one array of
/// structs: probing reads a quarter of a million of them a second, and scattered objects cost a cache miss each.
/// </summary>
internal sealed class VirtualWorld
{
    private readonly LinkTruth[] _links;
    private readonly double _jitterMs;
    private readonly double _backgroundEnter;
    private readonly double _backgroundLeave;
    private readonly Random _random;

    public VirtualWorld(GeneratedWorld world, WorldSpec spec, Random random)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(spec);
        Rooms = world.Rooms;
        _random = random;
        _jitterMs = spec.JitterMs;
        (_backgroundEnter, _backgroundLeave) = spec.Loss > 0 ? GilbertElliott.Rates(spec.Loss, spec.LossBurst) : (0, 1);
        var n = Rooms;
        _links = new LinkTruth[n * n];
        NodesPerRoom = spec.NodesPerRoom;
        Alive = Enumerable.Repeat(true, n).ToArray();
        NodeAlive = Enumerable.Repeat(true, n * NodesPerRoom).ToArray();
        Draining = new bool[n * NodesPerRoom];
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++)
            {
                if (a == b)
                {
                    continue;
                }

                _links[(a * n) + b].BaseRtt = world.Rtt[a, b];

                // Slow degradation: a seeded share of links (both directions) whose RTT creeps up all drill long.
                if (a < b && spec.DegradingShare > 0 && random.NextDouble() < spec.DegradingShare)
                {
                    _links[(a * n) + b].DegradePerSecond = _links[(b * n) + a].DegradePerSecond = spec.DegradeMsPerMinute / 60;
                }
            }
        }
    }

    public int Rooms { get; }

    /// <summary>Whether any relay of the room is alive (its probing and reports run).</summary>
    public bool[] Alive { get; }

    public int NodesPerRoom { get; }

    /// <summary>Per relay (<c>room × NodesPerRoom + k</c>): alive.</summary>
    public bool[] NodeAlive { get; }

    /// <summary>Per relay (<c>room × NodesPerRoom + k</c>): draining.</summary>
    public bool[] Draining { get; }

    public int RoomOfNode(int node) => node / NodesPerRoom;

    /// <summary>The room's relays, by number.</summary>
    public IEnumerable<int> NodesOf(int room) => Enumerable.Range(room * NodesPerRoom, NodesPerRoom);

    /// <summary>A relay died or came back; its room is alive while any of its relays is.</summary>
    public void SetNodeAlive(int node, bool alive)
    {
        NodeAlive[node] = alive;
        var room = RoomOfNode(node);
        Alive[room] = NodesOf(room).Any(k => NodeAlive[k]);
    }

    public bool ControllerUp { get; set; } = true;

    /// <summary>The drill's clock in seconds since the timeline began (degradation grows from 0).</summary>
    public double Seconds { get; set; }

    /// <summary>The link's true round-trip time now, without jitter or a fault's extra delay.</summary>
    public double RttMs(int a, int b)
    {
        ref var link = ref _links[(a * Rooms) + b];
        return link.BaseRtt + (link.DegradePerSecond * Math.Max(0, Seconds));
    }

    /// <summary>One crossing from a to b: half the RTT, the fault's extra delay, and exponential jitter.</summary>
    public double OneWayMs(int a, int b) => OneWayMs(a, b, Seconds);

    /// <summary>One crossing from a to b at <paramref name="atSeconds"/>.</summary>
    public double OneWayMs(int a, int b, double atSeconds)
    {
        var delay = DelayMs(a, b, atSeconds);
        return _jitterMs > 0 ? delay - (_jitterMs / 2 * Math.Log(1 - _random.NextDouble())) : delay;
    }

    /// <summary>
    /// A probe's round trip a → b → a at <paramref name="atSeconds"/> (probing runs healthy links' probes
    /// ahead of the clock), drawing from <paramref name="random"/>: both crossings' delays and jitters. The
    /// two exponential jitters are drawn as one (−θ·ln(u₁·u₂) is the sum of two −θ·ln u): one logarithm per probe, not two.
    /// </summary>
    public double RoundTripMs(int a, int b, double atSeconds, Random random)
    {
        var delay = DelayMs(a, b, atSeconds) + DelayMs(b, a, atSeconds);
        return _jitterMs > 0 ? delay - (_jitterMs / 2 * Math.Log((1 - random.NextDouble()) * (1 - random.NextDouble()))) : delay;
    }

    private double DelayMs(int a, int b, double atSeconds)
    {
        ref var link = ref _links[(a * Rooms) + b];
        return ((link.BaseRtt + (link.DegradePerSecond * Math.Max(0, atSeconds))) / 2) + link.ExtraOneWay;
    }

    public bool IsCut(int a, int b) => _links[(a * Rooms) + b].Cut;

    /// <summary>Whether one packet from a to b is lost now (a cut, the fault's loss, the background's), moving the loss chains on.</summary>
    public bool Drops(int a, int b) => Drops(a, b, _random);

    /// <summary><see cref="Drops(int, int)"/> drawing from <paramref name="random"/> (a probe link's own stream: the two links between a and b are never probed at once).</summary>
    public bool Drops(int a, int b, Random random)
    {
        ref var link = ref _links[(a * Rooms) + b];
        if (link.Cut)
        {
            return true;
        }

        if (link.FaultLeave > 0)
        {
            link.FaultBad = GilbertElliott.Step(link.FaultBad, link.FaultEnter, link.FaultLeave, random.NextDouble());
        }

        if (_backgroundEnter > 0)
        {
            link.BackgroundBad = GilbertElliott.Step(link.BackgroundBad, _backgroundEnter, _backgroundLeave, random.NextDouble());
        }

        return link.FaultBad || link.BackgroundBad;
    }

    /// <summary>Whether relay <paramref name="nodeA"/> could carry a segment to relay <paramref name="nodeB"/> at all (both alive, their rooms' link not cut).</summary>
    public bool Carries(int nodeA, int nodeB) => NodeAlive[nodeA] && NodeAlive[nodeB] && !_links[(RoomOfNode(nodeA) * Rooms) + RoomOfNode(nodeB)].Cut;

    public void Cut(int a, int b, bool cut) => _links[(a * Rooms) + b].Cut = cut;

    /// <summary>A fault's extra one-way delay and loss on a to b (zero and zero lift it).</summary>
    public void Degrade(int a, int b, double extraMs, double loss, double burst)
    {
        ref var link = ref _links[(a * Rooms) + b];
        link.ExtraOneWay = extraMs;
        (link.FaultEnter, link.FaultLeave) = loss > 0 ? GilbertElliott.Rates(Math.Min(loss, 0.999), burst) : (0, 0);
        link.FaultBad = false;
    }

    /// <summary>How long a data segment lost on a to b costs TCP: a retransmission one RTT later, as often as the link loses it.</summary>
    public double RetransmitDelayMs(int a, int b)
    {
        var extra = 0.0;
        for (var tries = 0; tries < 8 && Drops(a, b); tries++)
        {
            extra += RttMs(a, b) + (2 * _links[(a * Rooms) + b].ExtraOneWay) + 10;
        }

        return extra;
    }

    private struct LinkTruth
    {
        public double BaseRtt;
        public double DegradePerSecond;
        public double ExtraOneWay;
        public double FaultEnter;
        public double FaultLeave;
        public bool Cut;
        public bool FaultBad;
        public bool BackgroundBad;
    }
}
