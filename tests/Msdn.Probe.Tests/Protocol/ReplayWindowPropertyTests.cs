using FsCheck.Xunit;
using Msdn.Probe.Protocol;

namespace Msdn.Probe.Tests.Protocol;

public sealed class ReplayWindowPropertyTests
{
    /// <summary>Against an obvious model: accept a sequence iff it is new and within the window of the highest seen.</summary>
    [Property(MaxTest = 500)]
    public bool Accepts_each_sequence_at_most_once_within_the_window(ulong[] raw)
    {
        var window = new ReplayWindow();
        var seen = new HashSet<ulong>();
        ulong highest = 0;
        foreach (var value in raw)
        {
            var sequence = (value % 200) + (ulong)(seen.Count / 4); // mostly nearby, some repeats, drifting up
            var expected = sequence != 0 && !seen.Contains(sequence) && (sequence > highest || highest - sequence < ReplayWindow.Size);
            Assert.Equal(expected, window.TryAccept(sequence));
            if (expected)
            {
                seen.Add(sequence);
                highest = Math.Max(highest, sequence);
            }
        }

        return true;
    }
}
