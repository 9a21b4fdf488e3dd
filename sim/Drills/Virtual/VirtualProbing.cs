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
/// second, links in memory order (see <see cref="Sweep"/>), instead of the wheel running
/// them scattered over 250,000 links (one cache miss per estimator per probe, where most of the time
/// would go). Every link draws from its own seeded stream (<see cref="LinkStreams"/>). Its first lost probe
/// hands it back to the wheel (the loss is only known at the timeout, which the wheel runs in time), and
/// a link taken onto a path does the same. A sweep never runs past a change in the world's faults: the
/// drill announces those (<see cref="ExpectWorldChange"/>) and a sweep follows each. The next second's
/// sweep is posted early, when the simulation thread is about to wait for a route table (<see cref="SweepAhead"/>),
/// and its bulk runs on otherwise idle cores (<see cref="IdleCoreRunner"/>) while the simulation goes on.
/// What this costs in exactness: a report sees a quiet link's answers up to 1 s early, and a quiet link
/// taken onto a path starts fast probing after the probes already run for it.
/// </para>
/// </summary>
internal sealed class VirtualProbing : IDisposable
{
    private readonly VirtualWorld _world;
    private readonly ProbeAgentOptions _options;
    private readonly LinkStreams _streams;

    /// <summary>The simulation thread's draws (the wheel, starts, flows, its share of a sweep), pointed at each link in turn.</summary>
    private readonly LinkStreams.Cursor _serial;

    /// <summary>The idle-time thread's draws in a sweep.</summary>
    private readonly LinkStreams.Cursor _idleCursor;

    /// <summary>Runs a posted sweep's units on idle cores; the simulation thread finishes it before it needs its results.</summary>
    private readonly IdleCoreRunner _idle;

    /// <summary>The posted sweep's units of work: pairs of tiles of rooms (A ≤ B), each with its links both ways.</summary>
    private readonly (int First, int Second)[] _tilePairs;

    /// <summary>Per unit of the posted sweep: what it produced for the shared wheel and listeners, applied in unit order when it finishes.</summary>
    private readonly Outbox[] _outboxes;
    private readonly RoomId[] _ids;
    private readonly int _n;
    private readonly PeerLink?[] _links;

    /// <summary>Each room's agent's loss-burst detector (<see cref="LossBurst"/>): a burst takes all its links off the sweep onto the fast interval.</summary>
    private readonly LossBurst[] _bursts;
    private readonly long[] _nextSendMs;
    private readonly int[] _generation;
    private readonly uint[] _requestsReceived;
    private readonly List<(int Link, int Generation, bool Timeout)>[] _wheel;

    /// <summary>The link's sends are run by the sweep (it has no send in the wheel).</summary>
    private readonly bool[] _swept;

    /// <summary>
    /// A swept link's estimates as its relay reports them, taken when its probes run (a report then reads 16 KB,
    /// not the agent's 850 KB of link state): in <c>_values[_valuesIn[l]]</c>. A posted sweep writes the
    /// other array (reports go on reading the last values meanwhile), and its finish flips the links it wrote.
    /// </summary>
    private readonly LinkValues[][] _values;
    private readonly byte[] _valuesIn;
    private readonly byte[] _wroteAhead;

    /// <summary>The link's pair is in the posted sweep (both its links were swept when it was posted): nobody else touches them until it finishes.</summary>
    private readonly bool[] _posted;

    /// <summary>Timeouts of the link in the wheel, not yet run.</summary>
    private readonly int[] _timeoutsPending;

    /// <summary>Milliseconds in which the world's faults change (sorted, upcoming): sweeps stop before them.</summary>
    private readonly SortedSet<long> _worldChangesMs = [];
    private long _sweptUntilMs = long.MinValue;
    private long _slotMs = long.MinValue / 2;

    /// <summary>The posted sweep's window: its sends run from its start on, so it must finish before the wheel reaches that millisecond.</summary>
    private long _postedFromMs = long.MaxValue;
    private long _postedNowMs;
    private long _postedUntilMs;

    /// <param name="seed">Seeds every link's random stream.</param>
    /// <param name="idleSweeper">Whether sweeps run on idle cores as well as the simulation thread; the run is the same either way (tests check).</param>
    public VirtualProbing(VirtualWorld world, ProbeAgentOptions options, RoomId[] ids, int seed, bool idleSweeper)
    {
        _world = world;
        _options = options;
        _ids = ids;
        _n = ids.Length;
        _streams = new LinkStreams(_n * _n, seed);
        _serial = _streams.NewCursor();
        _idleCursor = _streams.NewCursor();
        _idle = new IdleCoreRunner(idleSweeper);
        var tiles = (_n + Tile - 1) / Tile;
        _tilePairs = [.. Enumerable.Range(0, tiles).SelectMany(first => Enumerable.Range(first, tiles - first).Select(second => (first, second)))];
        _outboxes = [.. _tilePairs.Select(_ => new Outbox())];
        _links = new PeerLink?[_n * _n];
        _bursts = new LossBurst[_n];
        for (var a = 0; a < _n; a++)
        {
            _bursts[a] = new LossBurst(options);
        }
        _nextSendMs = new long[_n * _n];
        _generation = new int[_n * _n];
        _requestsReceived = new uint[_n * _n];
        _swept = new bool[_n * _n];
        _values = [new LinkValues[_n * _n], new LinkValues[_n * _n]];
        _valuesIn = new byte[_n * _n];
        _wroteAhead = new byte[_n * _n];
        _posted = new bool[_n * _n];
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

    /// <summary>Rooms on a side of a square of links the posted sweep runs as one (with its mirror image): runs of a row's links stay long enough to stream.</summary>
    private const int Tile = 32;

    /// <summary>How far ahead a sweep runs quiet links' probes.</summary>
    public const int SweepMs = 1000;

    /// <summary>A link's state was declared (from, to, up) at the given virtual microsecond.</summary>
    public event Action<int, int, bool, long>? StateChanged;

    /// <summary>Room a's agent suspects b cut off (its link began losing in a loss burst), or no longer (it answered): a, b, suspected.</summary>
    public event Action<int, int, bool>? BurstSuspicion;

    public long ProbesSent { get; private set; }

    /// <summary>What room <paramref name="a"/>'s relay reports of its link to <paramref name="b"/> now (zeros before its first probe or while its relay is dead).</summary>
    public LinkValues Values(int a, int b)
    {
        var l = (a * _n) + b;
        return _posted[l] || _swept[l] ? _values[_valuesIn[l]][l] : _links[l] is { ProbesSent: > 0 } link ? ValuesOf(link) : default;
    }

    private static LinkValues ValuesOf(PeerLink link) =>
        new(double.IsNaN(link.Rtt.SmoothedMs) ? 0 : link.Rtt.SmoothedMs, link.Jitter.JitterMs, link.Loss.Loss, link.Health.State == LinkState.Up && link.RepliesReceived > 0, link.Directions.Forward);

    /// <summary>Starts (or restarts) a room's agent: fresh links to every peer, first probes spread over one base interval.</summary>
    public void Start(int a, long nowMs)
    {
        Finish();
        _slotMs = Math.Max(_slotMs, nowMs);
        _bursts[a] = new LossBurst(_options);
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
        Finish();
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
        if (_posted[l])
        {
            Finish(); // the posted sweep owns the pair (and its loss chains, which flows' data would move) until then
        }

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
        if (nowMs >= _postedFromMs)
        {
            Finish();
        }

        if (nowMs >= _sweptUntilMs)
        {
            Sweep(nowMs, nowMs, idle: false);
        }

        var slot = Slot(nowMs);
        for (var i = 0; i < slot.Count; i++)
        {
            var (l, generation, timeout) = slot[i];
            if (timeout)
            {
                _timeoutsPending[l]--; // only then: a posted sweep may be counting a loss of a link with a stale send here
            }

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
    /// Posts the coming second's sweep now, if the world's announced changes allow: the simulation thread
    /// calls this when it is about to wait for a route table, so the sweep runs in the computation's gaps and
    /// beside the simulation thread's own work after the table, instead of after the wait.
    /// </summary>
    public void SweepAhead(long nowMs)
    {
        var nextSecondMs = ((nowMs / SweepMs) + 1) * SweepMs;
        if (nowMs < _sweptUntilMs && _sweptUntilMs <= nextSecondMs)
        {
            Sweep(nowMs, nextSecondMs, idle: true); // at most to the whole second after next, however many tables come this second
        }
    }

    /// <summary>
    /// Takes every quiet link into the sweep and runs their sends due before the whole second after
    /// <paramref name="fromMs"/> or the next world change, whichever is first. Pairs whose two links were
    /// already swept are posted to run on idle cores (<paramref name="idle"/>) or at once; the rest are swept here.
    /// </summary>
    private void Sweep(long nowMs, long fromMs, bool idle)
    {
        Finish();
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

        // A probe moves the loss chains of both directions between its rooms, so a pair's link a → b (a < b)
        // always runs before its link b → a, and the two never run at once. A pair whose links were both
        // swept is touched by nothing else until its next send (past _sweptUntilMs) or a flow taking it
        // (SetActive finishes the sweep first), so it goes to the posted job; every other pair has a link in
        // the wheel, or one to take in, and is swept now, on this thread: first the links a → b with a < b
        // (deciding each pair), then those with a > b, row by row (links, and their agents' state, lie in row order).
        _postedFromMs = _sweptUntilMs;
        _postedNowMs = nowMs;
        _postedUntilMs = untilMs;
        _sweptUntilMs = untilMs;
        for (var a = 0; a < _n; a++)
        {
            for (var b = a + 1; b < _n; b++)
            {
                int ab = (a * _n) + b, ba = (b * _n) + a;
                if (_swept[ab] && _swept[ba])
                {
                    _posted[ab] = _posted[ba] = true;
                }
                else
                {
                    SweepLink(a, b, nowMs, untilMs, _serial, null);
                }
            }
        }

        for (var a = 0; a < _n; a++)
        {
            for (var b = 0; b < a; b++)
            {
                if (!_posted[(a * _n) + b])
                {
                    SweepLink(a, b, nowMs, untilMs, _serial, null);
                }
            }
        }

        _idle.Post(_tilePairs.Length, SweepPostedTiles);
        if (!idle)
        {
            Finish();
        }
    }

    /// <summary>
    /// One unit of the posted sweep: the links from tile A's rooms to tile B's (A ≤ B), then those back,
    /// each run of a row's links in memory order; each unit's effects go to its own outbox. A unit holds both
    /// links of each of its pairs, so units never share a pair, and within one a pair's a → b (a &lt; b) runs first.
    /// </summary>
    private void SweepPostedTiles(int unit, int worker)
    {
        var random = worker == 0 ? _serial : _idleCursor;
        var outbox = _outboxes[unit];
        var (first, second) = _tilePairs[unit];
        SweepPostedTile(first, second, upper: true, random, outbox);
        SweepPostedTile(second, first, upper: false, random, outbox);
    }

    /// <summary>The posted links from the rooms of tile <paramref name="from"/> to those of tile <paramref name="to"/>: those a → b with a &lt; b (<paramref name="upper"/>) or with a &gt; b.</summary>
    private void SweepPostedTile(int from, int to, bool upper, LinkStreams.Cursor random, Outbox outbox)
    {
        int aEnd = Math.Min(_n, (from + 1) * Tile), bEnd = Math.Min(_n, (to + 1) * Tile);
        for (var a = from * Tile; a < aEnd; a++)
        {
            for (var b = to * Tile; b < bEnd; b++)
            {
                if (b != a && b > a == upper && _posted[(a * _n) + b])
                {
                    SweepLink(a, b, _postedNowMs, _postedUntilMs, random, outbox);
                }
            }
        }
    }

    /// <summary>Finishes the posted sweep (if any): its remaining units here, then its effects in unit order, then its links' new values.</summary>
    public void Finish()
    {
        if (!_idle.Pending)
        {
            return;
        }

        _idle.Finish();
        foreach (var outbox in _outboxes)
        {
            foreach (var (dueMs, l, generation, timeout) in outbox.Adds)
            {
                CheckFits(dueMs);
                Enqueue(dueMs, l, generation, timeout);
            }

            foreach (var (a, b, up, atUs) in outbox.Changes)
            {
                StateChanged?.Invoke(a, b, up, atUs);
            }

            ProbesSent += outbox.Probes;
            outbox.Clear();
        }

        var flips = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(_wroteAhead.AsSpan());
        var valuesIn = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(_valuesIn.AsSpan());
        for (var i = 0; i < flips.Length; i++)
        {
            valuesIn[i] ^= flips[i];
        }

        for (var l = flips.Length * sizeof(ulong); l < _wroteAhead.Length; l++)
        {
            _valuesIn[l] ^= _wroteAhead[l];
        }

        Array.Clear(_wroteAhead);
        Array.Clear(_posted);
        _postedFromMs = long.MaxValue;
    }

    public void Dispose() => _idle.Dispose();

    /// <summary>Takes a quiet link into the sweep and runs its sends due before <paramref name="untilMs"/> (with an outbox: for a posted sweep, on whichever thread runs it; without: on the simulation thread, effects at once).</summary>
    private void SweepLink(int a, int b, long nowMs, long untilMs, LinkStreams.Cursor random, Outbox? outbox)
    {
        var l = (a * _n) + b;
        if (_links[l] is not { } link)
        {
            return;
        }

        if (!_swept[l])
        {
            if (!IsQuiet(l, link, nowMs))
            {
                return;
            }

            _swept[l] = true; // its send in the wheel is now stale
            _values[_valuesIn[l]][l] = ValuesOf(link);
        }

        random.Link = l;
        while (_swept[l] && _nextSendMs[l] < untilMs)
        {
            Send(l, a, b, link, Math.Max(nowMs, _nextSendMs[l]), random, outbox);
        }
    }

    /// <summary>Up, no loss pending or in its last outcomes that would make it probe fast, not carrying flows: whatever its next probes bring, nobody needs to hear of it before they time out.</summary>
    private bool IsQuiet(int l, PeerLink link, long nowMs) =>
        _timeoutsPending[l] == 0 && link.Health.State == LinkState.Up && !link.WantsFastProbing(_options.UnhealthyLoss) && !_bursts[l / _n].Active(TimeSpan.FromMilliseconds(nowMs));

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

        var nextMs = nowMs + Math.Max(1, (long)link.NextInterval(_options, random, !_swept[l] && _bursts[a].Active(TimeSpan.FromMilliseconds(nowMs))).TotalMilliseconds);
        if (_swept[l])
        {
            _nextSendMs[l] = nextMs;
        }
        else
        {
            Schedule(l, nextMs, nowMs, outbox);
        }

        var timeoutMs = (long)Math.Ceiling(link.Timeout(_options, !_swept[l] && _bursts[a].Active(TimeSpan.FromMilliseconds(nowMs))).TotalMilliseconds);
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

        // A swept link is up with no loss pending, so an answer cannot change its state (nothing to tell anyone ahead of
        // time); nor can it be a burst's suspect, which lost a probe since it was last swept and so runs on this thread.
        var outcome = link.Answered(rtt, sequence, received);
        if (link.BurstSuspect && outbox is null)
        {
            link.BurstSuspect = false;
            BurstSuspicion?.Invoke(a, b, false);
        }

        if (_swept[l])
        {
            // A posted sweep (the only one with an outbox) writes the other array: reports read the last values until it finishes.
            var ahead = outbox is null ? 0 : 1;
            _values[_valuesIn[l] ^ ahead][l] = ValuesOf(link);
            _wroteAhead[l] |= (byte)ahead;
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
        var answering = link.Answering;
        if (link.Lost())
        {
            Changed(l / _n, l % _n, false, nowMs * 1000, null);
        }

        PullIn(l, nowMs, StreamOf(l), null); // a lost probe moves the link to the fast interval at once
        switch (_bursts[l / _n].Lost(TimeSpan.FromMilliseconds(nowMs), _n - 1, answering))
        {
            case BurstLoss.Began:
                BurstBegan(l / _n, nowMs);
                break;
            case BurstLoss.During:
                Suspect(l, link);
                break;
        }
    }

    private void Suspect(int l, PeerLink link)
    {
        link.BurstSuspect = true;
        BurstSuspicion?.Invoke(l / _n, l % _n, true);
    }

    /// <summary>Room a's agent saw a loss burst: every one of its links leaves the sweep for the wheel, its next probe pulled in, as the agent does.</summary>
    private void BurstBegan(int a, long nowMs)
    {
        Finish(); // a posted sweep may hold some of the room's links
        for (var b = 0; b < _n; b++)
        {
            var l = (a * _n) + b;
            if (b != a && _links[l] is { } link)
            {
                Unsweep(l, null);
                PullIn(l, nowMs, StreamOf(l), null);
                if (link.LosingWhileUp)
                {
                    Suspect(l, link);
                }
            }
        }
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
        if (outbox is null)
        {
            CheckFits(dueMs);
            Enqueue(dueMs, l, _generation[l], timeout);
        }
        else
        {
            outbox.Adds.Add((dueMs, l, _generation[l], timeout));
        }
    }

    private void CheckFits(long dueMs)
    {
        if (dueMs - _slotMs >= _wheel.Length)
        {
            // It would land in a slot the wheel reaches a lap early, and a send would then be dropped as stale.
            throw new InvalidOperationException($"A probe event {dueMs - _slotMs} ms ahead does not fit the {_wheel.Length} ms wheel.");
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

    /// <summary>What one row's pairs did in a posted sweep that touches shared state, in the order they did it.</summary>
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
