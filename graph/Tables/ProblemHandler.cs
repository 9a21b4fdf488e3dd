using System.Runtime.CompilerServices;

namespace Msdn.Graph.Tables;

/// <summary>Builds a check's problem text only when the check failed (the condition is the handler's argument).</summary>
[InterpolatedStringHandler]
internal ref struct ProblemHandler
{
    private DefaultInterpolatedStringHandler _text;

    public ProblemHandler(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
