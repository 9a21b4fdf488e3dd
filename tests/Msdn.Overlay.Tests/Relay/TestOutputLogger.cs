using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>Relay logs into the test's output, so a failing drill explains itself.</summary>
internal sealed class TestOutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"[{logLevel}] {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // Logged after the test ended.
        }
    }
}
