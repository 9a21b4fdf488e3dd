using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// Every room's probe agent, full mesh, in virtual time: the agents' own per-link state
/// (<see cref="PeerLink"/>: RTT, jitter, loss and per-direction loss estimators, down/up hysteresis, the
/// fast/base interval rule and its jitter) fed by probes crossing <see cref="VirtualWorld"/>. What is left
/// out is the socket, the packet codec and its MAC: at 250,000 links a second those would be the
/// simulation's whole cost, and the conformance and agent tests cover them. An answer is taken when the
/// probe is sent (it is known then; the estimate sees it one RTT early), a loss when it times out, as the agent does.
/// Schedules sit in a timing wheel of 1 ms slots.
/// </summary>
internal sealed class VirtualProbing
{
    private readonly VirtualWorld _world;
    private readonly ProbeAgentOptions _options;
    private readonly Random _random;
    private readonly RoomId[] _ids;
    private readonly int _n;
    private readonly PeerLink?[] _links;
    private readonly long[] _nextSendMs;
    private readonly int[] _generation;
    private readonly uint[] _requestsReceived;
    private readonly List<(int Link, int Generation, bool Timeout)>[] _wheel;

    public VirtualProbing(VirtualWorld world, ProbeAgentOptions options, RoomId[] ids, Random random)
    {
        _world = world;
        _options = options;
        _ids = ids;
        _random = random;
        _n = ids.Length;
        _links = new PeerLink?[_n * _n];
        _nextSendMs = new long[_n * _n];
        _generation = new int[_n * _n];
        _requestsReceived = new uint[_n * _n];
        var horizon = (int)((Math.Max(options.BaseInterval.TotalMilliseconds, options.FastInterval.TotalMilliseconds) * (1 + options.IntervalJitter)) + options.MaxProbeTimeout.TotalMilliseconds + 2);
        _wheel = new List<(int, int, bool)>[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)horizon)];
        for (var i = 0; i < _wheel.Length; i++)
        {
            _wheel[i] = [];
        }
    }

    /// <summary>A link's state was declared (from, to, up) at the given virtual microsecond.</summary>
    public event Action<int, int, bool, long>? StateChanged;

    public long ProbesSent { get; private set; }

    /// <summary>The agent of room <paramref name="a"/>'s link to <paramref name="b"/> (null while its relay is dead).</summary>
    public PeerLink? Link(int a, int b) => _links[(a * _n) + b];

    /// <summary>Starts (or restarts) a room's agent: fresh links to every peer, first probes spread over one base interval.</summary>
    public void Start(int a, long nowMs)
    {
        for (var b = 0; b < _n; b++)
        {
            if (b == a)
            {
                continue;
            }

            var l = (a * _n) + b;
            _generation[l]++;
            _links[l] = new PeerLink(_ids[b], new IPEndPoint(IPAddress.Loopback, 0), _options);
            _requestsReceived[l] = 0; // a new session: the peer's count of our requests starts over
            _requestsReceived[(b * _n) + a] = 0; // and a restarted responder counts from zero
            Schedule(l, nowMs + 1 + (long)(_options.BaseInterval.TotalMilliseconds * _random.NextDouble()), nowMs);
        }
    }

    /// <summary>A room's relay died: its agent stops probing (its peers' probes to it go unanswered).</summary>
    public void Stop(int a)
    {
        for (var b = 0; b < _n; b++)
        {
            if (b != a)
            {
                _links[(a * _n) + b] = null;
                _generation[(a * _n) + b]++;
            }
        }
    }

    /// <summary>Marks a link as carrying flows (fast interval) or not, as the relay tells its agent.</summary>
    public void SetActive(int a, int b, bool active, long nowMs)
    {
        if (_links[(a * _n) + b] is { } link)
        {
            link.Active = active;
            if (active)
            {
                PullIn((a * _n) + b, nowMs);
            }
        }
    }

    /// <summary>Runs every probe event due in the millisecond <paramref name="nowMs"/>.</summary>
    public void RunSlot(long nowMs)
    {
        var slot = _wheel[nowMs & (_wheel.Length - 1)];
        for (var i = 0; i < slot.Count; i++)
        {
            var (l, generation, timeout) = slot[i];
            if (generation != _generation[l] || _links[l] is not { } link)
            {
                continue;
            }

            if (timeout)
            {
                TimedOut(l, link, nowMs);
            }
            else if (_nextSendMs[l] == nowMs)
            {
                Send(l, link, nowMs);
            }
        }

        slot.Clear();
    }

    private void Send(int l, PeerLink link, long nowMs)
    {
        int a = l / _n, b = l % _n;
        var sequence = link.NextSequence++;
        link.ProbesSent++;
        ProbesSent++;
        Schedule(l, nowMs + Math.Max(1, (long)link.NextInterval(_options, _random).TotalMilliseconds), nowMs);
        var timeoutMs = (long)Math.Ceiling(link.Timeout(_options).TotalMilliseconds);
        if (!_world.Alive[b] || _world.Drops(a, b))
        {
            Add(nowMs + timeoutMs, l, timeout: true);
            return;
        }

        var received = ++_requestsReceived[l];
        var rtt = _world.Drops(b, a) ? double.PositiveInfinity : _world.OneWayMs(a, b) + _world.OneWayMs(b, a);
        if (rtt >= timeoutMs)
        {
            Add(nowMs + timeoutMs, l, timeout: true);
            return;
        }

        switch (link.Answered(rtt, sequence, received))
        {
            case ProbeOutcome.WentUp:
                StateChanged?.Invoke(a, b, true, nowMs * 1000);
                break;
            case ProbeOutcome.Confirming:
                PullIn(l, nowMs);
                break;
        }
    }

    private void TimedOut(int l, PeerLink link, long nowMs)
    {
        if (link.Lost())
        {
            StateChanged?.Invoke(l / _n, l % _n, false, nowMs * 1000);
        }

        PullIn(l, nowMs); // a lost probe moves the link to the fast interval at once
    }

    private void PullIn(int l, long nowMs)
    {
        var soon = nowMs + Math.Max(1, (long)PeerLink.PullInDelay(_options, _random).TotalMilliseconds);
        if (_nextSendMs[l] > soon)
        {
            Schedule(l, soon, nowMs);
        }
    }

    private void Schedule(int l, long dueMs, long nowMs)
    {
        dueMs = Math.Max(dueMs, nowMs + 1);
        _nextSendMs[l] = dueMs;
        Add(dueMs, l, timeout: false);
    }

    private void Add(long dueMs, int l, bool timeout) => _wheel[dueMs & (_wheel.Length - 1)].Add((l, _generation[l], timeout));
}
