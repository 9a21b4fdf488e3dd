namespace Msdn.Probe.Estimation;

/// <summary>
/// Loss per direction from the responder's count of requests received. Over the last replies: requests
/// sent = the span of sequence numbers, requests that arrived = the change in the responder's count,
/// replies that came back = the replies in the window. So one-way ("gray") failures show as loss in
/// their own direction instead of looking like a healthy or symmetric link.
/// </summary>
public sealed class DirectionalLoss(int window = 50)
{
    /// <summary>
    /// The last replies, oldest at <see cref="_first"/>: a ring in one array (an agent holds one per peer and
    /// touches it on every reply). Sequences keep their low 32 bits: a window spans far fewer requests than
    /// that, so their difference is exact in unsigned arithmetic — and the ring half the size.
    /// </summary>
    private readonly (uint Sequence, uint Received)[] _replies = new (uint, uint)[window];
    private int _first;
    private int _count;
    private (ulong Sequence, uint Received) _last;

    public int Window { get; } = window;

    /// <summary>Fraction of requests that did not reach the peer; null until two replies span some requests.</summary>
    public double? Forward { get; private set; }

    /// <summary>Fraction of replies lost on the way back, among requests that arrived.</summary>
    public double? Reverse { get; private set; }

    /// <summary>Forgets the replies held (a link that came back up: requests lost during the outage are not its loss now).</summary>
    public void Restart()
    {
        _count = 0;
        Forward = Reverse = null;
    }

    public void AddReply(ulong sequence, uint requestsReceived)
    {
        if (_count > 0 && (requestsReceived < _last.Received || sequence <= _last.Sequence))
        {
            _count = 0; // the peer restarted (its count went back) or replies came out of order
        }

        _last = (sequence, requestsReceived);
        var entry = ((uint)sequence, requestsReceived);
        // Wrapped by compare, not %: this runs for every answered probe of every link (an integer division each).
        if (_count < _replies.Length)
        {
            var at = _first + _count++;
            _replies[at < _replies.Length ? at : at - _replies.Length] = entry;
        }
        else
        {
            _replies[_first] = entry; // the oldest leaves, the newest takes its place
            _first = _first + 1 == _replies.Length ? 0 : _first + 1;
        }

        var (firstSeq, firstCount) = _replies[_first];
        var sent = unchecked((uint)sequence - firstSeq);
        var arrived = (long)requestsReceived - firstCount;
        if (sent == 0)
        {
            return;
        }

        Forward = Math.Clamp(1 - ((double)arrived / sent), 0, 1);
        var answered = _count - 1;
        Reverse = arrived <= 0 ? 1 : Math.Clamp(1 - ((double)answered / arrived), 0, 1);
    }
}
