using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>
/// The answering side of one prober: for each of its recent sessions (a session is one run of its agent),
/// which requests were seen and how many arrived. Sessions keep their own windows, so a request captured
/// from an earlier session and replayed is refused like any replay, and never resets the count the
/// current session's per-direction loss is measured with.
/// </summary>
internal sealed class ResponderState
{
    /// <summary>Sessions remembered per prober: its restarts within the last few minutes, with room to spare.</summary>
    public const int SessionsKept = 4;

    private readonly List<SessionState> _sessions = new(1);

    /// <summary>
    /// A request of <paramref name="session"/> numbered <paramref name="sequence"/>: false for a replay (seen
    /// already, or older than its session's window); else how many of that session's requests have arrived.
    /// </summary>
    public bool TryAccept(uint session, ulong sequence, out uint requestsReceived)
    {
        var state = Find(session);
        if (!state.Replay.TryAccept(sequence))
        {
            requestsReceived = 0;
            return false;
        }

        requestsReceived = ++state.RequestsReceived;
        return true;
    }

    /// <summary>The session's state, most recently used first; a new session forgets the least recently used past <see cref="SessionsKept"/>.</summary>
    private SessionState Find(uint session)
    {
        for (var i = 0; i < _sessions.Count; i++)
        {
            if (_sessions[i].Session == session)
            {
                var found = _sessions[i];
                if (i > 0)
                {
                    _sessions.RemoveAt(i);
                    _sessions.Insert(0, found);
                }

                return found;
            }
        }

        if (_sessions.Count == SessionsKept)
        {
            _sessions.RemoveAt(_sessions.Count - 1);
        }

        var added = new SessionState(session);
        _sessions.Insert(0, added);
        return added;
    }

    private sealed class SessionState(uint session)
    {
        public uint Session { get; } = session;

        public ReplayWindow Replay { get; } = new();

        public uint RequestsReceived { get; set; }
    }
}
