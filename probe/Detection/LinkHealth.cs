namespace Msdn.Probe.Detection;

/// <summary>
/// Down/up hysteresis on probe outcomes: a link goes down after <see cref="DownAfterLosses"/>
/// consecutive lost probes and comes (back) up only after <see cref="UpAfterSuccesses"/> consecutive
/// answered ones. Isolated losses below the threshold never take it down.
/// </summary>
public sealed class LinkHealth(int downAfterLosses, int upAfterSuccesses)
{
    public int DownAfterLosses { get; } = downAfterLosses;

    public int UpAfterSuccesses { get; } = upAfterSuccesses;

    public LinkState State { get; private set; } = LinkState.Down;

    public int ConsecutiveLosses { get; private set; }

    public int ConsecutiveSuccesses { get; private set; }

    /// <summary>Records an answered probe; true when this made the link go up.</summary>
    public bool OnAnswered()
    {
        ConsecutiveLosses = 0;
        ConsecutiveSuccesses++;
        if (State == LinkState.Down && ConsecutiveSuccesses >= UpAfterSuccesses)
        {
            State = LinkState.Up;
            return true;
        }

        return false;
    }

    /// <summary>Records a lost probe; true when this made the link go down.</summary>
    public bool OnLost()
    {
        ConsecutiveSuccesses = 0;
        ConsecutiveLosses++;
        if (State == LinkState.Up && ConsecutiveLosses >= DownAfterLosses)
        {
            State = LinkState.Down;
            return true;
        }

        return false;
    }
}
