using FsCheck.Xunit;
using Msdn.Router.Routing;

namespace Msdn.Router.Tests.Routing;

/// <summary>The cut-off guard under random ticks, reports and time, against what it promises.</summary>
public sealed class CutOffGuardTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    /// <param name="events">Each: a tick (silent rooms out of ten), a report, or time passing (100 ms steps).</param>
    [Property(MaxTest = 300)]
    public bool Holds_only_after_most_rooms_fell_silent_and_lets_go_a_settle_after_the_first_report_back(byte[] events)
    {
        var guard = new CutOffGuard(Settle);
        var now = DateTimeOffset.UnixEpoch;
        DateTimeOffset? cutAt = null, heardAt = null;
        foreach (var e in events)
        {
            switch (e % 3)
            {
                case 0:
                    var silent = e / 3 % 11;
                    var became = guard.Observe(10, silent);
                    if (became != (cutAt is null && silent > 5))
                    {
                        return false; // cut off exactly when more than half are silent, and only once
                    }

                    if (became)
                    {
                        (cutAt, heardAt) = (now, null);
                    }

                    break;
                case 1:
                    guard.Heard(now);
                    if (cutAt is not null)
                    {
                        heardAt ??= now;
                    }

                    break;
                default:
                    now += TimeSpan.FromMilliseconds(100 * (e / 3 % 30));
                    break;
            }

            var expected = cutAt is not null && !(heardAt is { } heard && now >= heard + Settle);
            if (guard.Holding(now) != expected)
            {
                return false;
            }

            if (!expected)
            {
                (cutAt, heardAt) = (null, null);
            }
        }

        return true;
    }
}
