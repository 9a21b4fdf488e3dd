namespace Msdn.Sim.Drills.Virtual;

/// <summary>Actions at virtual microseconds; ties run in the order they were scheduled (so a run is repeatable).</summary>
internal sealed class EventQueue
{
    private readonly PriorityQueue<Action, (long At, long Order)> _queue = new();
    private long _order;

    public long Count => _queue.Count;

    public void At(long us, Action action) => _queue.Enqueue(action, (us, _order++));

    /// <summary>Runs every action due before <paramref name="untilUs"/>, including those they schedule in that span; returns how many ran.</summary>
    public int RunUntil(long untilUs, Action<long> setNow)
    {
        var ran = 0;
        while (_queue.TryPeek(out var action, out var due) && due.At < untilUs)
        {
            _queue.Dequeue();
            setNow(due.At);
            action();
            ran++;
        }

        return ran;
    }
}
