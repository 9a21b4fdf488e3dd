using Msdn.Graph.Tables;

namespace Msdn.Graph.Tests.Support;

/// <summary>Table comparisons that say which pairs differ, so a failing property is readable.</summary>
public static class TableAssert
{
    public static void SameRoutes(RouteTable expected, RouteTable actual)
    {
        if (actual.SameRoutesAs(expected))
        {
            return;
        }

        var lines = expected.Rooms.SelectMany(from => expected.Rooms.Where(to => to != from).Select(to => (from, to)))
            .Select(p => (p, e: Describe(expected.Find(p.from, p.to)), a: actual.Contains(p.from) && actual.Contains(p.to) ? Describe(actual.Find(p.from, p.to)) : "(rooms missing)"))
            .Where(x => x.e != x.a)
            .Take(5)
            .Select(x => $"{x.p.from}->{x.p.to}: expected {x.e}, actual {x.a}");
        Assert.Fail("Route tables differ:\n" + string.Join('\n', lines));
    }

    /// <summary>Same paths everywhere, costs equal up to float rounding (they may be summed in another order).</summary>
    public static void SamePaths(RouteTable expected, RouteTable actual)
    {
        Assert.Equal(expected.Rooms.ToArray(), actual.Rooms.ToArray());
        foreach (var from in expected.Rooms)
        {
            foreach (var to in expected.Rooms.Where(r => r != from))
            {
                var e = expected.Find(from, to);
                var a = actual.Find(from, to);
                var same = (e is null && a is null)
                    || (e is not null && a is not null
                        && e.Primary.SequenceEqual(a.Primary)
                        && Oracle.Close(e.Cost, a.Cost)
                        && e.HasBackup == a.HasBackup
                        && (!e.HasBackup || (e.Backup!.Value.SequenceEqual(a.Backup!.Value) && Oracle.Close(e.BackupCost!.Value, a.BackupCost!.Value))));
                Assert.True(same, $"{from}->{to}: expected {Describe(e)}, actual {Describe(a)}");
            }
        }
    }

    public static string Describe(Route? route) =>
        route is null
            ? "no route"
            : $"{Route.Format(route.Primary)} ({route.Cost:R}) backup {(route.Backup is { } b ? Route.Format(b) : "none")} ({route.BackupCost:R})";
}
