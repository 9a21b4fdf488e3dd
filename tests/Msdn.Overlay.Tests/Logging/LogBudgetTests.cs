using Microsoft.Extensions.Time.Testing;
using Msdn.Overlay.Logging;

namespace Msdn.Overlay.Tests.Logging;

/// <summary>Lines a stranger can cause at will are logged within a budget, and the next window says how many were left out.</summary>
public sealed class LogBudgetTests
{
    [Fact]
    public void Logs_up_to_the_budget_per_window_then_counts_what_it_left_out()
    {
        var time = new FakeTimeProvider();
        var budget = new LogBudget(3, TimeSpan.FromMinutes(1), time);
        var logged = Enumerable.Range(0, 1000).Count(_ => budget.TryTake(out long _));
        Assert.Equal(3, logged);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(budget.TryTake(out var leftOut));
        Assert.Equal(997, leftOut);
        Assert.True(budget.TryTake(out leftOut));
        Assert.Equal(0, leftOut);
    }
}
