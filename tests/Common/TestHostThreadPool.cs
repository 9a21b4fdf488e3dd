using System.Runtime.CompilerServices;

namespace Msdn.Tests.Common;

/// <summary>
/// The test host (VSTest with xunit) holds thread-pool threads while a test runs: on a 2-core machine, whose
/// pool starts with 2 threads, a bare 100 ms timer in an empty test stalls 0.5-1 s about a second in, until
/// the pool injects a thread. Timing tests (pings, ack timeouts, failover deadlines) would measure the host,
/// not the product, so every test assembly starts with a few more threads than cores.
/// </summary>
internal static class TestHostThreadPool
{
    [ModuleInitializer]
    internal static void Widen()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 8), completionPorts);
    }
}
