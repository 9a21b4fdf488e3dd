namespace Msdn.Sim.WonderProxy;

/// <summary>The WonderProxy files are missing or a line does not parse; names the file and line.</summary>
public sealed class WonderProxyFormatException(string file, int line, string problem)
    : Exception(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;

    public int Line { get; } = line;
}
