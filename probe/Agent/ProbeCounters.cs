using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>What the agent sent, received and rejected (rejections by reason), for metrics and tests.</summary>
public sealed class ProbeCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<ProbeRejection>().Length];
    private long _requestsSent;
    private long _repliesSent;
    private long _repliesReceived;
    private long _bytesSent;

    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    public long RepliesSent => Interlocked.Read(ref _repliesSent);

    public long RepliesReceived => Interlocked.Read(ref _repliesReceived);

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long Rejected(ProbeRejection reason) => Interlocked.Read(ref _rejected[(int)reason]);

    public long RejectedTotal => _rejected.Sum();

    internal void RequestSent(int bytes)
    {
        Interlocked.Increment(ref _requestsSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void ReplySent(int bytes)
    {
        Interlocked.Increment(ref _repliesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void ReplyReceived() => Interlocked.Increment(ref _repliesReceived);

    internal void Reject(ProbeRejection reason) => Interlocked.Increment(ref _rejected[(int)reason]);
}
