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

    public static string Describe(Route? route) =>
        route is null
            ? "no route"
            : $"{Route.Format(route.Primary)} ({route.Cost:R}) backup {(route.Backup is { } b ? Route.Format(b) : "none")} ({route.BackupCost:R})";
}
