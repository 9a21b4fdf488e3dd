namespace Msdn.Probe.Detection;

/// <summary>
/// Down/up hysteresis on probe outcomes: a link goes down after <see cref="DownAfterLosses"/>
/// consecutive lost probes and comes (back) up only after <see cref="RequiredSuccesses"/> consecutive
/// answered ones. Isolated losses below the threshold never take it down. A link that goes down again
/// soon after coming up (fewer than <see cref="StableAnswers"/> answers in between) is flapping: each such
/// flap doubles the answers it needs to come up next time (up to 8 × <see cref="UpAfterSuccesses"/>), so a
/// link that answers intermittently cannot move routes back and forth at the probe rate; a stretch of
/// <see cref="StableAnswers"/> answers while up forgives it.
/// </summary>
public sealed class LinkHealth(int downAfterLosses, int upAfterSuccesses)
{
    /// <summary>Answers in a row while up after which a link that goes down is not counted as flapping.</summary>
    public const int StableAnswers = 30;

    private const int MaxFlaps = 3;

    private int _answeredSinceUp;

    public int DownAfterLosses { get; } = downAfterLosses;

    public int UpAfterSuccesses { get; } = upAfterSuccesses;

    public LinkState State { get; private set; } = LinkState.Down;

    public int ConsecutiveLosses { get; private set; }

    public int ConsecutiveSuccesses { get; private set; }

    /// <summary>Recent flaps (0..3): each doubles <see cref="RequiredSuccesses"/>.</summary>
    public int Flaps { get; private set; }

    /// <summary>Answers in a row a down link needs now to come up.</summary>
    public int RequiredSuccesses => UpAfterSuccesses << Flaps;

    /// <summary>Records an answered probe; true when this made the link go up.</summary>
    public bool OnAnswered()
    {
        ConsecutiveLosses = 0;
        ConsecutiveSuccesses++;
        if (State == LinkState.Up)
        {
            if (++_answeredSinceUp >= StableAnswers)
            {
                Flaps = 0;
            }

            return false;
        }

        if (ConsecutiveSuccesses >= RequiredSuccesses)
        {
            State = LinkState.Up;
            _answeredSinceUp = 0;
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
            if (_answeredSinceUp < StableAnswers)
            {
                Flaps = Math.Min(Flaps + 1, MaxFlaps);
            }

            return true;
        }

        return false;
    }
}
