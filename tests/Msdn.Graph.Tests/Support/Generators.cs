using FsCheck;
using FsCheck.Fluent;

namespace Msdn.Graph.Tests.Support;

/// <summary>FsCheck generators for the routing core's domain types (one per type).</summary>
public static class Generators
{
    public static Arbitrary<RandomWorld> World() =>
        (from rooms in Gen.Choose(2, 10)
         from seed in Gen.Choose(0, int.MaxValue)
         from densityPercent in Gen.Choose(15, 100)
         from downPercent in Gen.Choose(0, 25)
         select new RandomWorld(rooms, seed, densityPercent / 100.0, downPercent / 100.0))
        .ToArbitrary();

    public static Arbitrary<WorldChange> Change() =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from noiseTenths in Gen.Choose(0, 80)
         from movedPercent in Gen.Choose(0, 30)
         from downPercent in Gen.Choose(0, 20)
         select new WorldChange(seed, noiseTenths / 10.0, movedPercent / 100.0, downPercent / 100.0))
        .ToArbitrary();
}
