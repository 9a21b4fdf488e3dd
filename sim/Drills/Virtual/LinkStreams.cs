namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// One seeded random stream per probe link (one word of SplitMix64 state each), so that links can be
/// probed on several threads and every link still draws what it would on one: a link's draws depend on
/// the drill's seed and its own history only, never on which other links ran before it. Also cheaper than
/// <see cref="Random"/>'s seeded generator, which the engine called six times per probe.
/// </summary>
internal sealed class LinkStreams
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private readonly ulong[] _states;

    public LinkStreams(int links, int seed)
    {
        _states = new ulong[links];
        for (var l = 0; l < links; l++)
        {
            var state = ((ulong)(uint)seed << 32) ^ ((ulong)l * Golden);
            _states[l] = Advance(ref state); // decorrelates neighbouring links' starting points
        }
    }

    /// <summary>A <see cref="Random"/> that draws from whichever link's stream it is pointed at (the agent's code takes a Random). One per thread.</summary>
    public Cursor NewCursor() => new(this);

    private static ulong Advance(ref ulong state)
    {
        var z = state += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Draws from link <see cref="Link"/>'s stream. <see cref="Sample"/> is what <see cref="Random"/>'s
    /// bounded integer and double draws go through in a derived class; <see cref="Next()"/> does not, so it is
    /// overridden too. The base is constructed with a fixed seed: nothing here reads the shared generator.
    /// </summary>
    public sealed class Cursor(LinkStreams streams) : Random(0)
    {
        public int Link { get; set; }

        public override double NextDouble() => (Advance(ref streams._states[Link]) >> 11) * (1.0 / (1UL << 53));

        public override int Next() => (int)(NextDouble() * int.MaxValue);

        protected override double Sample() => NextDouble();
    }
}
