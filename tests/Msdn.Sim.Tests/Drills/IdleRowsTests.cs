using Msdn.Sim.Drills.Virtual;

namespace Msdn.Sim.Tests.Drills;

/// <summary>The idle-time row runner the virtual engine's sweep uses: every row once, whoever runs it, and errors surface where the job is finished.</summary>
public sealed class IdleCoreRunnerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_row_of_every_job_runs_exactly_once(bool background)
    {
        using var idle = new IdleCoreRunner(background);
        for (var job = 0; job < 50; job++)
        {
            var runs = new int[200];
            idle.Post(runs.Length, (row, _) => Interlocked.Increment(ref runs[row]));
            Assert.True(idle.Pending);
            idle.Finish();
            Assert.False(idle.Pending);
            Assert.All(runs, count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public void Without_the_idle_thread_the_finisher_runs_every_row()
    {
        using var idle = new IdleCoreRunner(background: false);
        var workers = new List<int>();
        idle.Post(10, (_, worker) => workers.Add(worker));
        Assert.Empty(workers); // nothing runs before Finish
        idle.Finish();
        Assert.Equal(Enumerable.Repeat(0, 10), workers);
    }

    [Fact]
    public void The_idle_thread_takes_rows_while_the_poster_is_busy_elsewhere()
    {
        using var idle = new IdleCoreRunner(background: true);
        using var ran = new ManualResetEventSlim();
        var onIdleThread = 0;
        idle.Post(1, (_, worker) =>
        {
            onIdleThread = worker;
            ran.Set();
        });
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10)), "the idle thread never ran the row");
        idle.Finish();
        Assert.Equal(1, onIdleThread);
    }

    [Fact]
    public void A_rows_error_is_rethrown_by_finish_and_the_runner_takes_the_next_job()
    {
        using var idle = new IdleCoreRunner(background: true);
        idle.Post(20, (row, _) =>
        {
            if (row == 7)
            {
                throw new InvalidOperationException("row 7");
            }
        });
        Assert.Equal("row 7", Assert.Throws<InvalidOperationException>(idle.Finish).Message);
        Assert.False(idle.Pending);

        var runs = 0;
        idle.Post(5, (_, _) => Interlocked.Increment(ref runs));
        idle.Finish();
        Assert.Equal(5, runs);
    }

    [Fact]
    public void Posting_over_an_unfinished_job_is_refused()
    {
        using var idle = new IdleCoreRunner(background: false);
        idle.Post(1, (_, _) => { });
        Assert.Throws<InvalidOperationException>(() => idle.Post(1, (_, _) => { }));
        idle.Finish();
    }
}
