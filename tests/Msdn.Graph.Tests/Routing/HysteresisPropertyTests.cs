using FsCheck.Xunit;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Tests.Support;

namespace Msdn.Graph.Tests.Routing;

/// <summary>Hysteresis across two tables: pairs keep their primary on small gains and always leave a dead one.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = 150)]
public sealed class HysteresisPropertyTests
{
    private static readonly CostModel Costs = new(new CostModelOptions());
    private static readonly HysteresisOptions Margins = new() { MarginMs = 5, MarginPercent = 10 };

    [Property]
    public bool Primary_changes_only_when_it_died_or_the_gain_beats_both_margins(RandomWorld world, WorldChange change)
    {
        var before = world.Build();
        var after = world.Build(change.Apply);
        var computer = new RouteComputer(Costs, Margins);
        var first = computer.Compute(before);
        var second = computer.Compute(after, first);
        var oracle = new Oracle(after, Costs);
        Assert.Equal(first.Version + 1, second.Version);
        foreach (var old in first.Routes())
        {
            var best = oracle.Distance(old.From, old.To);
            var now = second.Find(old.From, old.To);
            var alive = Enumerable.Range(0, old.Primary.Length - 1).All(i => oracle.HasUsableLink(old.Primary[i], old.Primary[i + 1]));
            var label = $"{old.From}->{old.To} was {Route.Format(old.Primary)}";
            if (!alive)
            {
                // A dead primary is always left, for the best path if there is one.
                Assert.True(now is null || !now.Primary.SequenceEqual(old.Primary), $"{label}: kept a primary with a dead link");
                Assert.True(now is null ? double.IsPositiveInfinity(best) : Oracle.Close(best, now.Cost), $"{label}: did not move to the best path");
                continue;
            }

            Assert.NotNull(now);
            var incumbent = oracle.PathCost(old.Primary);
            var gain = incumbent - best;
            if (now!.Primary.SequenceEqual(old.Primary))
            {
                Assert.True(Oracle.Close(incumbent, now.Cost), $"{label}: kept primary is not priced at its current cost");
                Assert.False(gain > Margins.MarginMs + 1e-3 && gain > (Margins.MarginPercent / 100 * incumbent) + 1e-3, $"{label}: kept despite a gain of {gain} ms");
            }
            else
            {
                Assert.True(Oracle.Close(best, now.Cost), $"{label}: switched to a path that is not the best");
                Assert.True(gain > Margins.MarginMs - 1e-3 && gain > (Margins.MarginPercent / 100 * incumbent) - 1e-3, $"{label}: switched for a gain of only {gain} ms");
            }
        }

        return true;
    }

    [Property]
    public bool Several_threads_compute_the_same_table_as_one(RandomWorld world, WorldChange change)
    {
        var after = world.Build(change.Apply);
        var one = new RouteComputer(Costs, Margins);
        var three = new RouteComputer(Costs, Margins, parallelism: 3);
        var first = one.Compute(world.Build());
        var alone = one.Compute(after, first);
        var shared = three.Compute(after, first);
        Assert.True(alone.SameRoutesAs(shared), "routes differ with three threads");
        Assert.Equal(one.LastBackupSearches, three.LastBackupSearches);
        return true;
    }

    [Property]
    public bool Backup_of_a_kept_primary_is_disjoint_from_it(RandomWorld world, WorldChange change)
    {
        var computer = new RouteComputer(Costs, Margins);
        var first = computer.Compute(world.Build());
        var second = computer.Compute(world.Build(change.Apply), first);
        foreach (var route in second.Routes().Where(r => r.Backup is not null))
        {
            var primaryLinks = Enumerable.Range(0, route.Primary.Length - 1).Select(i => (route.Primary[i], route.Primary[i + 1])).ToHashSet();
            var backup = route.Backup!.Value;
            Assert.DoesNotContain(Enumerable.Range(0, backup.Length - 1).Select(i => (backup[i], backup[i + 1])), primaryLinks.Contains);
        }

        return true;
    }

    [Property]
    public bool Backup_of_a_kept_primary_changes_only_when_it_died_or_the_gain_beats_both_margins(RandomWorld world, WorldChange change)
    {
        var after = world.Build(change.Apply);
        var computer = new RouteComputer(Costs, Margins);
        var first = computer.Compute(world.Build());
        var second = computer.Compute(after, first);
        var oracle = new Oracle(after, Costs);
        foreach (var old in first.Routes().Where(r => r.Backup is not null))
        {
            var now = second.Find(old.From, old.To);
            if (now is null || !now.Primary.SequenceEqual(old.Primary))
            {
                continue; // a new primary gets the best backup for it
            }

            var was = old.Backup!.Value;
            var usable = Enumerable.Range(0, was.Length - 1).All(i => oracle.HasUsableLink(was[i], was[i + 1]));
            var incumbent = usable ? oracle.PathCost(was) : double.PositiveInfinity;
            var disjoint = !was.Skip(1).SkipLast(1).Any(room => now.Primary.Contains(room));
            var label = $"{old.From}->{old.To} backup was {Route.Format(was)}";
            if (now.Backup is { } kept && kept.SequenceEqual(was))
            {
                Assert.True(Oracle.Close(incumbent, now.BackupCost!.Value), $"{label}: kept backup is not priced at its current cost");
            }
            else if (!double.IsPositiveInfinity(incumbent) && disjoint && now.Backup is not null)
            {
                var gain = incumbent - now.BackupCost!.Value;
                Assert.True(gain > Margins.MarginMs - 1e-3 && gain > (Margins.MarginPercent / 100 * incumbent) - 1e-3, $"{label}: switched to {Route.Format(now.Backup.Value)} for a gain of only {gain} ms");
            }
        }

        return true;
    }

    [Theory]
    [InlineData(100, 96, false)] // 4 ms: below the 5 ms margin
    [InlineData(100, 94, false)] // 6 ms but only 6 %
    [InlineData(100, 89, true)]  // 11 ms and 11 %
    [InlineData(8, 4, false)]    // 50 %, but only 4 ms: the absolute margin holds short paths
    [InlineData(double.PositiveInfinity, 500, true)] // the incumbent is down
    public void ShouldSwitch_needs_both_margins(double incumbent, double candidate, bool expected) =>
        Assert.Equal(expected, Hysteresis.ShouldSwitch(incumbent, candidate, Margins));
}
