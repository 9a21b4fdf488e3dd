using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Detection;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// Every room's probe agent, full mesh, in virtual time: the agents' own per-link state
/// (<see cref="PeerLink"/>: RTT, jitter, loss and per-direction loss estimators, down/up hysteresis, the
/// fast/base interval rule and its jitter) fed by probes crossing <see cref="VirtualWorld"/>. What is left
/// out is the socket, the packet codec and its MAC: at 250,000 links a second those would be the
/// simulation's whole cost, and the conformance and agent tests cover them. An answer is taken when the
/// probe is sent (it is known then; the estimate sees it one RTT early), a loss when it times out, as the agent does.
/// Schedules sit in a timing wheel of 1 ms slots.
/// <para>
/// A quiet link (up, no loss pending or recent, not carrying flows: nearly all of them) has nothing to say
/// to anyone until a probe of it is lost, so once a second a sweep runs its probes due in the coming
/// second, rows of links in memory order on every core (see <see cref="Sweep"/>), instead of the wheel running
/// them scattered over 250,000 links (one cache miss per estimator per probe: that was 3/4 of the engine's
/// time). Every link draws from its own seeded stream (<see cref="LinkStreams"/>). Its first lost probe
/// hands it back to the wheel (the loss is only known at the timeout, which the wheel runs in time), and
/// a link taken onto a path does the same. A sweep never runs past a change in the world's faults: the
/// drill announces those (<see cref="ExpectWorldChange"/>) and a sweep follows each. The next second's
/// sweep runs early when the simulation thread is about to wait for a route table (<see cref="SweepAhead"/>).
/// What this costs in exactness: a report sees a quiet link's answers up to 2 s early, and a quiet link
/// taken onto a path starts fast probing after the probes already run for it.
/// </para>
/// </summary>
internal sealed class VirtualProbing
{
    private readonly VirtualWorld _world;
    private readonly ProbeAgentOptions _options;
    private readonly LinkStreams _streams;

    /// <summary>The simulation thread's draws (the wheel, starts, flows), pointed at each link in turn.</summary>
    private readonly LinkStreams.Cursor _serial;
    private readonly ParallelOptions _sweepThreads;

    /// <summary>Per row of links (by sending room): what a parallel sweep pass produced for the shared wheel and listeners, applied in row order after the pass.</summary>
    private readonly Outbox[] _outboxes;
    private readonly RoomId[] _ids;
    private readonly int _n;
    private readonly PeerLink?[] _links;
    private readonly long[] _nextSendMs;
    private readonly int[] _generation;
    private readonly uint[] _requestsReceived;
    private readonly List<(int Link, int Generation, bool Timeout)>[] _wheel;

    /// <summary>The link's sends are run by the sweep (it has no send in the wheel).</summary>
    private readonly bool[] _swept;

    /// <summary>A swept link's estimates as its relay reports them, taken when its probes run (a report then reads 16 KB, not the agent's 850 KB of link state).</summary>
    private readonly LinkValues[] _values;

    /// <summary>Timeouts of the link in the wheel, not yet run.</summary>
    private readonly int[] _timeoutsPending;

    /// <summary>Milliseconds in which the world's faults change (sorted, upcoming): sweeps stop before them.</summary>
    private readonly SortedSet<long> _worldChangesMs = [];
    private long _sweptUntilMs = long.MinValue;
    private long _slotMs = long.MinValue / 2;

    /// <param name="seed">Seeds every link's random stream.</param>
    /// <param name="sweepThreads">Threads a sweep may use; the run is the same on any number (tests check).</param>
    public VirtualProbing(VirtualWorld world, ProbeAgentOptions options, RoomId[] ids, int seed, int sweepThreads)
    {
        _world = world;
        _options = options;
        _ids = ids;
        _n = ids.Length;
        _streams = new LinkStreams(_n * _n, seed);
        _serial = _streams.NewCursor();
        _sweepThreads = new ParallelOptions { MaxDegreeOfParallelism = sweepThreads };
        _outboxes = Enumerable.Range(0, _n).Select(_ => new Outbox()).ToArray();
        _links = new PeerLink?[_n * _n];
        _nextSendMs = new long[_n * _n];
        _generation = new int[_n * _n];
        _requestsReceived = new uint[_n * _n];
        _swept = new bool[_n * _n];
        _values = new LinkValues[_n * _n];
        _timeoutsPending = new int[_n * _n];
        var horizon = (2 * SweepMs) + (int)((Math.Max(options.BaseInterval.TotalMilliseconds, options.FastInterval.TotalMilliseconds) * (1 + options.IntervalJitter)) + options.MaxProbeTimeout.TotalMilliseconds + 2);
        _wheel = new List<(int, int, bool)>[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)horizon)];
        for (var i = 0; i < _wheel.Length; i++)
        {
            _wheel[i] = [];
        }
    }

    /// <summary>Probes cross no socket here: every link shares one placeholder endpoint (a quarter of a million fewer objects for the collector to trace).</summary>
    private static readonly IPEndPoint NoEndpoint = new(IPAddress.Loopback, 0);

    /// <summary>How far ahead a sweep runs quiet links' probes.</summary>
    public const int SweepMs = 1000;

    /// <summary>A link's state was declared (from, to, up) at the given virtual microsecond.</summary>
    public event Action<int, int, bool, long>? StateChanged;

    public long ProbesSent { get; private set; }

    /// <summary>The agent of room <paramref name="a"/>'s link to <paramref name="b"/> (null while its relay is dead).</summary>
    public PeerLink? Link(int a, int b) => _links[(a * _n) + b];

    /// <summary>What room <paramref name="a"/>'s relay reports of its link to <paramref name="b"/> now (zeros before its first probe or while its relay is dead).</summary>
    public LinkValues Values(int a, int b)
    {
        var l = (a * _n) + b;
        return _swept[l] ? _values[l] : _links[l] is { ProbesSent: > 0 } link ? ValuesOf(link) : default;
    }

    private static LinkValues ValuesOf(PeerLink link) =>
        new(double.IsNaN(link.Rtt.SmoothedMs) ? 0 : link.Rtt.SmoothedMs, link.Jitter.JitterMs, link.Loss.Loss, link.Health.State == LinkState.Up && link.RepliesReceived > 0);

    /// <summary>Starts (or restarts) a room's agent: fresh links to every peer, first probes spread over one base interval.</summary>
    public void Start(int a, long nowMs)
    {
        _slotMs = Math.Max(_slotMs, nowMs);
        for (var b = 0; b < _n; b++)
        {
            if (b == a)
            {
                continue;
            }

            var l = (a * _n) + b;
            _generation[l]++;
            _swept[l] = false;
            _links[l] = new PeerLink(_ids[b], NoEndpoint, _options);
            _requestsReceived[l] = 0; // a new session: the peer's count of our requests starts over
            _requestsReceived[(b * _n) + a] = 0; // and a restarted responder counts from zero
            Schedule(l, nowMs + 1 + (long)(_options.BaseInterval.TotalMilliseconds * StreamOf(l).NextDouble()), nowMs, null);
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
                _swept[(a * _n) + b] = false;
            }
        }
    }

    /// <summary>Marks a link as carrying flows (fast interval) or not, as the relay tells its agent.</summary>
    public void SetActive(int a, int b, bool active, long nowMs)
    {
        var l = (a * _n) + b;
        if (_links[l] is { } link)
        {
            link.Active = active;
            if (active)
            {
                Unsweep(l, null);
                PullIn(l, nowMs, StreamOf(l), null);
            }
        }
    }

    /// <summary>Announces a change in the world's faults during the millisecond <paramref name="atMs"/> (a fault or its lifting): no sweep runs probes past it.</summary>
    public void ExpectWorldChange(long atMs)
    {
        if (atMs < _sweptUntilMs)
        {
            throw new InvalidOperationException($"A world change at {atMs} ms was announced after probes up to {_sweptUntilMs} ms ran on the old world.");
        }

        _worldChangesMs.Add(atMs);
    }

    /// <summary>Runs every probe event due in the millisecond <paramref name="nowMs"/>: first, on a whole second or just after a world change, the sweep of quiet links.</summary>
    public void RunSlot(long nowMs)
    {
        _slotMs = nowMs;
        if (nowMs >= _sweptUntilMs)
        {
            Sweep(nowMs, nowMs);
        }

        var slot = Slot(nowMs);
        for (var i = 0; i < slot.Count; i++)
        {
            var (l, generation, timeout) = slot[i];
            _timeoutsPending[l] -= timeout ? 1 : 0;
            if (generation != _generation[l] || _links[l] is not { } link)
            {
                continue;
            }

            if (timeout)
            {
                TimedOut(l, link, nowMs);
            }
            else if (!_swept[l] && _nextSendMs[l] == nowMs)
            {
                Send(l, l / _n, l % _n, link, nowMs, StreamOf(l), null);
            }
        }

        slot.Clear();
    }

    /// <summary>
    /// Runs the coming second's sweep now, if the world's announced changes allow: the simulation thread
    /// calls this when it is about to wait for a route table, so the sweep shares the wait with the
    /// computation instead of following it (quiet links then run up to 2 s ahead of the clock).
    /// </summary>
    public void SweepAhead(long nowMs)
    {
        var nextSecondMs = ((nowMs / SweepMs) + 1) * SweepMs;
        if (nowMs < _sweptUntilMs && _sweptUntilMs <= nextSecondMs)
        {
            Sweep(nowMs, nextSecondMs); // at most to the whole second after next, however many tables come this second
        }
    }

    /// <summary>Takes every quiet link into the sweep and runs their sends due before the whole second after <paramref name="fromMs"/> or the next world change, whichever is first.</summary>
    private void Sweep(long nowMs, long fromMs)
    {
        var untilMs = ((fromMs / SweepMs) + 1) * SweepMs;
        while (_worldChangesMs.Count > 0 && _worldChangesMs.Min < nowMs)
        {
            _worldChangesMs.Remove(_worldChangesMs.Min);
        }

        if (_worldChangesMs.Count > 0)
        {
            untilMs = Math.Min(untilMs, _worldChangesMs.Min + 1); // a send in the change's millisecond still sees the old world (probes run before events)
        }

        if (untilMs <= _sweptUntilMs)
        {
            return; // a world change comes first: nothing more may run ahead of it
        }

        _sweptUntilMs = untilMs;

        // Two passes, each over rows of links on several threads: first every link a → b with a < b, then
        // those with a > b. A probe moves the loss chains of both directions between its rooms, so the two
        // links of a pair must not run at once, and within a pass no two links share a pair. Everything
        // else a probe touches is its link's own (its random stream included); what it adds to the wheel
        // or tells listeners waits in its row's outbox and is applied in row order: the same on any number of threads.
        SweepPass(nowMs, untilMs, upper: true);
        SweepPass(nowMs, untilMs, upper: false);
    }

    private void SweepPass(long nowMs, long untilMs, bool upper)
    {
        Parallel.For(0, _n, _sweepThreads, _streams.NewCursor, (a, _, random) =>
        {
            int from = upper ? a + 1 : 0, to = upper ? _n : a;
            for (var b = from; b < to; b++)
            {
                SweepLink(a, b, nowMs, untilMs, random, _outboxes[a]);
            }

            return random;
        }, _ => { });

        foreach (var outbox in _outboxes)
        {
            foreach (var (dueMs, l, generation, timeout) in outbox.Adds)
            {
                Enqueue(dueMs, l, generation, timeout);
            }

            foreach (var (a, b, up, atUs) in outbox.Changes)
            {
                StateChanged?.Invoke(a, b, up, atUs);
            }

            ProbesSent += outbox.Probes;
            outbox.Clear();
        }
    }

    /// <summary>Takes a quiet link into the sweep and runs its sends due before <paramref name="untilMs"/> (on a sweep thread).</summary>
    private void SweepLink(int a, int b, long nowMs, long untilMs, LinkStreams.Cursor random, Outbox outbox)
    {
        var l = (a * _n) + b;
        if (_links[l] is not { } link)
        {
            return;
        }

        if (!_swept[l])
        {
            if (!IsQuiet(l, link))
            {
                return;
            }

            _swept[l] = true; // its send in the wheel is now stale
            _values[l] = ValuesOf(link);
        }

        random.Link = l;
        while (_swept[l] && _nextSendMs[l] < untilMs)
        {
            Send(l, a, b, link, Math.Max(nowMs, _nextSendMs[l]), random, outbox);
        }
    }

    /// <summary>Up, no loss pending or in its last outcomes that would make it probe fast, not carrying flows: whatever its next probes bring, nobody needs to hear of it before they time out.</summary>
    private bool IsQuiet(int l, PeerLink link) =>
        _timeoutsPending[l] == 0 && link.Health.State == LinkState.Up && !link.WantsFastProbing(_options.UnhealthyLoss);

    /// <summary>Hands a swept link back to the wheel (its next send included).</summary>
    private void Unsweep(int l, Outbox? outbox)
    {
        if (_swept[l])
        {
            _swept[l] = false;
            Add(_nextSendMs[l], l, timeout: false, outbox);
        }
    }

    /// <summary>One probe of link l (a → b): <paramref name="random"/> is pointed at its stream; <paramref name="outbox"/> is null on the simulation thread (effects apply at once).</summary>
    private void Send(int l, int a, int b, PeerLink link, long nowMs, Random random, Outbox? outbox)
    {
        var sequence = link.NextSequence++;
        link.ProbesSent++;
        if (outbox is null)
        {
            ProbesSent++;
        }
        else
        {
            outbox.Probes++;
        }

        var nextMs = nowMs + Math.Max(1, (long)link.NextInterval(_options, random).TotalMilliseconds);
        if (_swept[l])
        {
            _nextSendMs[l] = nextMs;
        }
        else
        {
            Schedule(l, nextMs, nowMs, outbox);
        }

        var timeoutMs = (long)Math.Ceiling(link.Timeout(_options).TotalMilliseconds);
        if (!_world.Alive[b] || _world.Drops(a, b, random))
        {
            Lose(l, nowMs + timeoutMs, outbox);
            return;
        }

        var received = ++_requestsReceived[l];
        var rtt = _world.Drops(b, a, random) ? double.PositiveInfinity : _world.RoundTripMs(a, b, nowMs / 1000.0, random);
        if (rtt >= timeoutMs)
        {
            Lose(l, nowMs + timeoutMs, outbox);
            return;
        }

        // A swept link is up with no loss pending, so an answer cannot change its state (nothing to tell anyone ahead of time).
        var outcome = link.Answered(rtt, sequence, received);
        if (_swept[l])
        {
            _values[l] = ValuesOf(link);
        }

        switch (outcome)
        {
            case ProbeOutcome.WentUp:
                Changed(a, b, true, nowMs * 1000, outbox);
                break;
            case ProbeOutcome.Confirming:
                PullIn(l, nowMs, random, outbox);
                break;
        }
    }

    /// <summary>A probe that will not be answered: its timeout goes in the wheel, and so does the link.</summary>
    private void Lose(int l, long timeoutMs, Outbox? outbox)
    {
        Unsweep(l, outbox);
        _timeoutsPending[l]++;
        Add(timeoutMs, l, timeout: true, outbox);
    }

    private void TimedOut(int l, PeerLink link, long nowMs)
    {
        if (link.Lost())
        {
            Changed(l / _n, l % _n, false, nowMs * 1000, null);
        }

        PullIn(l, nowMs, StreamOf(l), null); // a lost probe moves the link to the fast interval at once
    }

    private void Changed(int a, int b, bool up, long atUs, Outbox? outbox)
    {
        if (outbox is null)
        {
            StateChanged?.Invoke(a, b, up, atUs);
        }
        else
        {
            outbox.Changes.Add((a, b, up, atUs));
        }
    }

    private void PullIn(int l, long nowMs, Random random, Outbox? outbox)
    {
        var soon = nowMs + Math.Max(1, (long)PeerLink.PullInDelay(_options, random).TotalMilliseconds);
        if (_nextSendMs[l] > soon)
        {
            Schedule(l, soon, nowMs, outbox);
        }
    }

    private void Schedule(int l, long dueMs, long nowMs, Outbox? outbox)
    {
        dueMs = Math.Max(dueMs, nowMs + 1);
        _nextSendMs[l] = dueMs;
        Add(dueMs, l, timeout: false, outbox);
    }

    private void Add(long dueMs, int l, bool timeout, Outbox? outbox)
    {
        if (dueMs - _slotMs >= _wheel.Length)
        {
            // It would land in a slot the wheel reaches a lap early, and a send would then be dropped as stale.
            throw new InvalidOperationException($"A probe event {dueMs - _slotMs} ms ahead does not fit the {_wheel.Length} ms wheel.");
        }

        if (outbox is null)
        {
            Enqueue(dueMs, l, _generation[l], timeout);
        }
        else
        {
            outbox.Adds.Add((dueMs, l, _generation[l], timeout));
        }
    }

    private void Enqueue(long dueMs, int l, int generation, bool timeout) => Slot(dueMs).Add((l, generation, timeout));

    /// <summary>The wheel's slot for millisecond <paramref name="ms"/> (its length is a power of two).</summary>
    private List<(int Link, int Generation, bool Timeout)> Slot(long ms) => _wheel[ms & (_wheel.Length - 1)];

    /// <summary>The simulation thread's random source, pointed at link l's stream.</summary>
    private LinkStreams.Cursor StreamOf(int l)
    {
        _serial.Link = l;
        return _serial;
    }

    /// <summary>What one row's links did in a sweep pass that touches shared state, in the order they did it.</summary>
    private sealed class Outbox
    {
        public List<(long DueMs, int Link, int Generation, bool Timeout)> Adds { get; } = [];

        public List<(int A, int B, bool Up, long AtUs)> Changes { get; } = [];

        public long Probes { get; set; }

        public void Clear()
        {
            Adds.Clear();
            Changes.Clear();
            Probes = 0;
        }
    }
}
