namespace Msdn.Overlay.Transport;

/// <summary>
/// Whether a listener is accepting: a run of accept failures (descriptors exhausted, a network error) is
/// counted and remembered until an accept succeeds again, so <c>/health</c> can say a port is not taking
/// connections instead of claiming all is well.
/// </summary>
public sealed class ListenerHealth
{
    private long _failures;
    private string? _failing;

    /// <summary>Accepts that failed, since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Why accepting fails now; null while it works.</summary>
    public string? Failing => Volatile.Read(ref _failing);

    /// <summary>An accept failed. True when it starts a run of failures (say it once, not for every retry).</summary>
    public bool Failed(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Interlocked.Increment(ref _failures);
        return Interlocked.Exchange(ref _failing, $"{error.GetType().Name}: {error.Message}") is null;
    }

    /// <summary>An accept succeeded.</summary>
    public void Accepted()
    {
        if (Volatile.Read(ref _failing) is not null)
        {
            Volatile.Write(ref _failing, null);
        }
    }
}
