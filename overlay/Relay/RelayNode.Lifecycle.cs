using Msdn.Overlay.Lifecycle;

namespace Msdn.Overlay.Relay;

/// <summary>Lossless scale-in: drain (no new flows, transit flows moved off), cancel, drained.</summary>
public sealed partial class RelayNode
{
    private readonly List<TaskCompletionSource> _drainedWaiters = [];

    public RelayState State
    {
        get
        {
            lock (_lifecycleLock)
            {
                return _lifecycle.State;
            }
        }
    }

    /// <summary>Flows this relay carries now (its own, transit and delivered).</summary>
    public int ActiveFlows
    {
        get
        {
            lock (_lifecycleLock)
            {
                return _lifecycle.Flows;
            }
        }
    }

    /// <summary>
    /// Stops taking new flows. With <paramref name="moveTransit"/>, flows passing through are torn down at
    /// once: their ingress relays fail over to their backup paths (room-disjoint, so they avoid this room)
    /// and replay from the last ack, as for any failure. Flows that start or end in this room continue
    /// until their media engines close them. Drained once none is left.
    /// </summary>
    public void Drain(bool moveTransit = true)
    {
        lock (_lifecycleLock)
        {
            _lifecycle.RequestDrain();
        }

        if (moveTransit)
        {
            foreach (var splice in _transit.Values)
            {
                splice.Cancel();
            }
        }

        SignalIfDrained();
    }

    /// <summary>Back to serving (the operator cancelled the scale-in).</summary>
    public void CancelDrain()
    {
        lock (_lifecycleLock)
        {
            _lifecycle.CancelDrain();
        }
    }

    /// <summary>The room's load (0–1): rising load takes a draining relay back into service.</summary>
    public void ObserveLoad(double roomLoad)
    {
        lock (_lifecycleLock)
        {
            _lifecycle.LoadObserved(roomLoad);
        }
    }

    /// <summary>Completes when the relay is drained (safe to remove).</summary>
    public Task WhenDrainedAsync(CancellationToken cancellationToken = default)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lifecycleLock)
        {
            if (_lifecycle.State == RelayState.Drained)
            {
                return Task.CompletedTask;
            }

            _drainedWaiters.Add(waiter);
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    private void SignalIfDrained()
    {
        TaskCompletionSource[] waiters;
        lock (_lifecycleLock)
        {
            if (_lifecycle.State != RelayState.Drained)
            {
                return;
            }

            waiters = [.. _drainedWaiters];
            _drainedWaiters.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult();
        }
    }
}
