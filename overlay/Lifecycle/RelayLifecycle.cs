namespace Msdn.Overlay.Lifecycle;

/// <summary>
/// The lossless scale-in state machine. Serving → Draining on a drain request; Draining → Drained when
/// the last flow has ended or moved; Draining or Drained → Serving on cancel or when the room's load rises
/// to <see cref="DrainPolicy.ReturnToServiceLoad"/>. A relay never leaves Draining for Drained while it
/// carries a flow, and never admits a new flow unless Serving. Pure: the relay feeds it events and acts on
/// <see cref="State"/>.
/// </summary>
internal sealed class RelayLifecycle(DrainPolicy policy)
{
    public RelayState State { get; private set; } = RelayState.Serving;

    public int Flows { get; private set; }

    /// <summary>Raised on every state change (old, new), for metrics and the admin endpoint.</summary>
    public event Action<RelayState, RelayState>? Changed;

    public bool AcceptsNewFlows => State == RelayState.Serving;

    /// <summary>Admits a new flow if serving; false (refuse it, the client tries another relay) otherwise.</summary>
    public bool TryAdmitFlow()
    {
        if (!AcceptsNewFlows)
        {
            return false;
        }

        Flows++;
        return true;
    }

    /// <summary>A flow ended or moved to another relay.</summary>
    public void FlowEnded()
    {
        if (Flows == 0)
        {
            throw new InvalidOperationException("A flow ended that was never admitted.");
        }

        Flows--;
        if (State == RelayState.Draining && Flows == 0)
        {
            Move(RelayState.Drained);
        }
    }

    public void RequestDrain()
    {
        if (State == RelayState.Serving)
        {
            Move(Flows == 0 ? RelayState.Drained : RelayState.Draining);
        }
    }

    public void CancelDrain()
    {
        if (State != RelayState.Serving)
        {
            Move(RelayState.Serving);
        }
    }

    /// <summary>The room's current load; high load takes a draining or drained relay back into service.</summary>
    public void LoadObserved(double roomLoad)
    {
        if (State != RelayState.Serving && roomLoad >= policy.ReturnToServiceLoad)
        {
            Move(RelayState.Serving);
        }
    }

    private void Move(RelayState next)
    {
        var previous = State;
        State = next;
        Changed?.Invoke(previous, next);
    }
}
