using Msdn.Overlay.Lifecycle;

namespace Msdn.Overlay.Relay;

/// <summary>
/// Which flows the relay takes, by its lifecycle (serving, draining, drained): every new flow asks here
/// first and says when it ended, so a draining relay knows when it is drained.
/// </summary>
internal sealed class RelayAdmission
{
    private readonly Lock _lock = new();
    private readonly RelayLifecycle _lifecycle;
    private readonly List<TaskCompletionSource> _drainedWaiters = [];

    public RelayAdmission(DrainPolicy policy)
    {
        _lifecycle = new RelayLifecycle(policy);
        _lifecycle.Changed += (from, to) => Changed?.Invoke(from, to);
    }

    /// <summary>The relay went from one lifecycle state to another.</summary>
    public event Action<RelayState, RelayState>? Changed;

    public RelayState State
    {
        get
        {
            lock (_lock)
            {
                return _lifecycle.State;
            }
        }
    }

    /// <summary>Flows this relay carries now (its own, transit and delivered).</summary>
    public int Flows
    {
        get
        {
            lock (_lock)
            {
                return _lifecycle.Flows;
            }
        }
    }

    /// <summary>Takes a new flow unless the relay is draining or drained.</summary>
    public bool TryAdmit()
    {
        lock (_lock)
        {
            return _lifecycle.TryAdmitFlow();
        }
    }

    /// <summary>A flow taken by <see cref="TryAdmit"/> ended.</summary>
    public void FlowEnded()
    {
        lock (_lock)
        {
            _lifecycle.FlowEnded();
        }

        SignalIfDrained();
    }

    public void RequestDrain()
    {
        lock (_lock)
        {
            _lifecycle.RequestDrain();
        }
    }

    public void CancelDrain()
    {
        lock (_lock)
        {
            _lifecycle.CancelDrain();
        }
    }

    /// <summary>The room's load (0–1): rising load takes a draining relay back into service.</summary>
    public void ObserveLoad(double roomLoad)
    {
        lock (_lock)
        {
            _lifecycle.LoadObserved(roomLoad);
        }
    }

    /// <summary>Completes when the relay is drained (safe to remove).</summary>
    public Task WhenDrainedAsync(CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_lifecycle.State == RelayState.Drained)
            {
                return Task.CompletedTask;
            }

            _drainedWaiters.Add(waiter);
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    public void SignalIfDrained()
    {
        TaskCompletionSource[] waiters;
        lock (_lock)
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
