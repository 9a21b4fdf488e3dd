using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Overlay.Lifecycle;

namespace Msdn.Overlay.Tests.Lifecycle;

/// <summary>The drain state machine under random event sequences, against its invariants.</summary>
public sealed class RelayLifecyclePropertyTests
{
    public enum LifecycleEvent
    {
        Admit,
        End,
        Drain,
        Cancel,
        LowLoad,
        HighLoad,
    }

    [Property(MaxTest = 1000)]
    public Property Invariants_hold_under_any_event_sequence()
    {
        var events = Gen.ListOf(Gen.Elements(Enum.GetValues<LifecycleEvent>())).ToArbitrary();
        return Prop.ForAll(events, sequence =>
        {
            var lifecycle = new RelayLifecycle(new DrainPolicy { ReturnToServiceLoad = 0.8 });
            var flows = 0; // the model
            foreach (var e in sequence)
            {
                var before = lifecycle.State;
                switch (e)
                {
                    case LifecycleEvent.Admit:
                        var admitted = lifecycle.TryAdmitFlow();
                        Assert.Equal(before == RelayState.Serving, admitted); // only a serving relay takes new flows
                        flows += admitted ? 1 : 0;
                        break;
                    case LifecycleEvent.End when flows > 0:
                        lifecycle.FlowEnded();
                        flows--;
                        break;
                    case LifecycleEvent.End:
                        Assert.Throws<InvalidOperationException>(lifecycle.FlowEnded);
                        break;
                    case LifecycleEvent.Drain:
                        lifecycle.RequestDrain();
                        break;
                    case LifecycleEvent.Cancel:
                        lifecycle.CancelDrain();
                        Assert.Equal(RelayState.Serving, lifecycle.State);
                        break;
                    case LifecycleEvent.LowLoad:
                        lifecycle.LoadObserved(0.2);
                        Assert.Equal(before, lifecycle.State); // low load never changes anything
                        break;
                    case LifecycleEvent.HighLoad:
                        lifecycle.LoadObserved(0.9);
                        Assert.Equal(RelayState.Serving, lifecycle.State);
                        break;
                }

                Assert.Equal(flows, lifecycle.Flows);
                Assert.False(lifecycle.State == RelayState.Drained && flows > 0, "drained while carrying flows");
                Assert.False(lifecycle.State == RelayState.Draining && flows == 0, "draining with nothing left to drain");
            }

            return true;
        });
    }

    [Fact]
    public void A_drain_completes_when_the_last_flow_ends()
    {
        var lifecycle = new RelayLifecycle(new DrainPolicy());
        var changes = new List<(RelayState, RelayState)>();
        lifecycle.Changed += (from, to) => changes.Add((from, to));
        Assert.True(lifecycle.TryAdmitFlow());
        Assert.True(lifecycle.TryAdmitFlow());
        lifecycle.RequestDrain();
        Assert.False(lifecycle.TryAdmitFlow());
        lifecycle.FlowEnded();
        Assert.Equal(RelayState.Draining, lifecycle.State);
        lifecycle.FlowEnded();
        Assert.Equal(RelayState.Drained, lifecycle.State);
        Assert.Equal([(RelayState.Serving, RelayState.Draining), (RelayState.Draining, RelayState.Drained)], changes);
    }
}
