using Msdn.Probe.Transport;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The truth the virtual engine's components measure and suffer: every directed link's delay (the
/// world's RTT, slow degradation, a fault's extra delay, random jitter) and loss (background bursty
/// loss, a fault's loss, a cut), which relays are alive or draining, and whether the controller is
/// reachable. All chance comes from the drill's one seeded random source.
/// </summary>
internal sealed class VirtualWorld
{
    private readonly double[] _baseRtt;
    private readonly double[] _degradePerSecond;
    private readonly double[] _extraOneWay;
    private readonly bool[] _cut;
    private readonly GilbertElliott?[] _background;
    private readonly GilbertElliott?[] _faultLoss;
    private readonly double _jitterMs;
    private readonly Random _random;

    public VirtualWorld(GeneratedWorld world, WorldSpec spec, Random random)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(spec);
        Rooms = world.Rooms;
        _random = random;
        _jitterMs = spec.JitterMs;
        var n = Rooms;
        _baseRtt = new double[n * n];
        _degradePerSecond = new double[n * n];
        _extraOneWay = new double[n * n];
        _cut = new bool[n * n];
        _background = new GilbertElliott?[n * n];
        _faultLoss = new GilbertElliott?[n * n];
        Alive = Enumerable.Repeat(true, n).ToArray();
        Draining = new bool[n];
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++)
            {
                if (a == b)
                {
                    continue;
                }

                _baseRtt[(a * n) + b] = world.Rtt[a, b];
                if (spec.Loss > 0)
                {
                    _background[(a * n) + b] = new GilbertElliott(spec.Loss, spec.LossBurst);
                }

                // Slow degradation: a seeded share of links (both directions) whose RTT creeps up all drill long.
                if (a < b && spec.DegradingShare > 0 && random.NextDouble() < spec.DegradingShare)
                {
                    _degradePerSecond[(a * n) + b] = _degradePerSecond[(b * n) + a] = spec.DegradeMsPerMinute / 60;
                }
            }
        }
    }

    public int Rooms { get; }

    public bool[] Alive { get; }

    public bool[] Draining { get; }

    public bool ControllerUp { get; set; } = true;

    /// <summary>The drill's clock in seconds since the timeline began (degradation grows from 0).</summary>
    public double Seconds { get; set; }

    /// <summary>The link's true round-trip time now, without jitter or a fault's extra delay.</summary>
    public double RttMs(int a, int b) => _baseRtt[(a * Rooms) + b] + (_degradePerSecond[(a * Rooms) + b] * Math.Max(0, Seconds));

    /// <summary>One crossing from a to b: half the RTT, the fault's extra delay, and exponential jitter.</summary>
    public double OneWayMs(int a, int b)
    {
        var l = (a * Rooms) + b;
        var delay = (RttMs(a, b) / 2) + _extraOneWay[l];
        return _jitterMs > 0 ? delay - (_jitterMs / 2 * Math.Log(1 - _random.NextDouble())) : delay;
    }

    public bool IsCut(int a, int b) => _cut[(a * Rooms) + b];

    /// <summary>Whether one packet from a to b is lost now (a cut, the fault's loss, the background's), moving the loss chains on.</summary>
    public bool Drops(int a, int b)
    {
        var l = (a * Rooms) + b;
        if (_cut[l])
        {
            return true;
        }

        var lost = _faultLoss[l] is { } fault && fault.Drop(_random.NextDouble());
        return (_background[l] is { } background && background.Drop(_random.NextDouble())) || lost;
    }

    /// <summary>Whether a relay could carry a segment from a to b at all (both alive, not cut).</summary>
    public bool Carries(int a, int b) => Alive[a] && Alive[b] && !_cut[(a * Rooms) + b];

    public void Cut(int a, int b, bool cut) => _cut[(a * Rooms) + b] = cut;

    /// <summary>A fault's extra one-way delay and loss on a to b (zero and zero lift it).</summary>
    public void Degrade(int a, int b, double extraMs, double loss, double burst)
    {
        _extraOneWay[(a * Rooms) + b] = extraMs;
        _faultLoss[(a * Rooms) + b] = loss > 0 ? new GilbertElliott(Math.Min(loss, 0.999), burst) : null;
    }

    /// <summary>How long a data segment lost on a to b costs TCP: a retransmission one RTT later, as often as the link loses it.</summary>
    public double RetransmitDelayMs(int a, int b)
    {
        var extra = 0.0;
        for (var tries = 0; tries < 8 && Drops(a, b); tries++)
        {
            extra += RttMs(a, b) + (2 * _extraOneWay[(a * Rooms) + b]) + 10;
        }

        return extra;
    }
}
