using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// Runs the rows of a posted job on a thread of its own that the kernel schedules only when a core would
/// otherwise idle (nice 19 on Linux), while the thread that posted the job goes on with its own work;
/// <see cref="Finish"/> then runs every row not yet started on the calling thread and waits for the rest.
/// The virtual engine's simulation thread runs alone after each route table is published, and the route
/// computation's two threads leave gaps: that idle time is where the sweep of quiet links goes. Rows must
/// not depend on each other or on anything their poster changes before <see cref="Finish"/>: which
/// thread runs a row, and when, is chance.
/// </summary>
internal sealed class IdleCoreRunner : IDisposable
{
    private readonly SemaphoreSlim _posted = new(0);
    private readonly bool _background;
    private Job? _job;
    private volatile bool _disposed;

    /// <param name="background">Whether rows may run on the idle-time thread (false: <see cref="Finish"/> runs them all; the results must be the same, and tests check they are).</param>
    public IdleCoreRunner(bool background)
    {
        _background = background;
        if (background)
        {
            new Thread(Loop) { IsBackground = true, Name = "msdn idle rows" }.Start();
        }
    }

    /// <summary>Whether a job is posted and not finished.</summary>
    public bool Pending => _job is not null;

    /// <summary>Posts <paramref name="rows"/> rows of <paramref name="body"/>(row, worker): worker 0 is <see cref="Finish"/>'s caller, 1 the idle-time thread.</summary>
    public void Post(int rows, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (_job is not null)
        {
            throw new InvalidOperationException("A job is already posted: finish it first.");
        }

        Volatile.Write(ref _job, new Job(rows, body));
        if (_background)
        {
            _posted.Release();
        }
    }

    /// <summary>Runs the posted job's rows not yet started here, then waits for those running elsewhere (no-op without a job).</summary>
    public void Finish()
    {
        if (_job is not { } job)
        {
            return;
        }

        job.Run(worker: 0);
        job.Done.Wait();
        _job = null;
        job.Done.Dispose();
        if (job.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>Lets the idle-time thread end; a job it is running still runs to its end there (nobody waits for it, and nothing reads it).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_background)
        {
            _posted.Release();
        }
    }

    private void Loop()
    {
        LowerThisThreadsPriority();
        while (true)
        {
            _posted.Wait();
            if (_disposed)
            {
                _posted.Dispose();
                return;
            }

            // A late wake-up may find the next job, or none: a job's rows are claimed once, whoever comes.
            Volatile.Read(ref _job)?.Run(worker: 1);
        }
    }

    /// <summary>Nice 19: any other runnable thread of the machine goes first (on Linux a thread's nice value is its own; .NET's <see cref="Thread.Priority"/> does not reach it there).</summary>
    private static void LowerThisThreadsPriority()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetPriority(0, 0, 19); // PRIO_PROCESS, who 0: the calling thread; best effort (the results do not depend on it)
        }
        else
        {
            Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        }
    }

    [DllImport("libc", EntryPoint = "setpriority")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    private sealed class Job(int rows, Action<int, int> body)
    {
        private readonly int _rows = rows;
        private int _next = -1;
        private int _left = rows;

        public ManualResetEventSlim Done { get; } = new(rows == 0);

        public Exception? Error { get; private set; }

        public void Run(int worker)
        {
            int row;
            while ((row = Interlocked.Increment(ref _next)) < _rows)
            {
                try
                {
                    body(row, worker);
                }
                catch (Exception e)
                {
                    Error ??= e; // rethrown by Finish, on the poster's thread
                }

                if (Interlocked.Decrement(ref _left) == 0)
                {
                    Done.Set();
                }
            }
        }
    }
}
