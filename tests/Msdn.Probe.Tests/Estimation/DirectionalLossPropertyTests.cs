using FsCheck.Xunit;
using Msdn.Probe.Estimation;

namespace Msdn.Probe.Tests.Estimation;

/// <summary>The per-direction estimate against its definition, recomputed from the whole reply history at every step.</summary>
public sealed class DirectionalLossPropertyTests
{
    [Property(MaxTest = 200)]
    public bool Matches_the_definition_over_the_last_replies(int seed, byte windowSeed)
    {
        var window = 2 + (windowSeed % 20);
        var random = new Random(seed);
        var loss = new DirectionalLoss(window);
        var history = new List<(ulong Sequence, uint Received)>(); // replies since the last restart
        ulong sequence = random.Next(2) == 0 ? 0 : uint.MaxValue - (ulong)random.Next(0, 400); // half the runs cross 2^32
        uint received = 0;
        for (var step = 0; step < 300; step++)
        {
            sequence += (ulong)random.Next(1, 4); // some requests were never answered
            received = random.Next(30) == 0 ? (uint)random.Next(0, 3) : received + (uint)random.Next(0, 3); // sometimes the peer restarts
            if (history.Count > 0 && (received < history[^1].Received || sequence <= history[^1].Sequence))
            {
                history.Clear();
            }

            history.Add((sequence, received));
            loss.AddReply(sequence, received);
            var kept = history.TakeLast(window).ToList();
            var sent = sequence - kept[0].Sequence;
            if (sent == 0)
            {
                continue;
            }

            var arrived = (long)received - kept[0].Received;
            var forward = Math.Clamp(1 - ((double)arrived / sent), 0, 1);
            var reverse = arrived <= 0 ? 1 : Math.Clamp(1 - ((double)(kept.Count - 1) / arrived), 0, 1);
            if (loss.Forward != forward || loss.Reverse != reverse)
            {
                return false;
            }
        }

        return true;
    }
}
