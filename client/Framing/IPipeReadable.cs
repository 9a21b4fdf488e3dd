using System.IO.Pipelines;

namespace Msdn.Client.Framing;

/// <summary>
/// A stream whose received bytes already wait in a pipe: frames are parsed straight from it instead of
/// being copied into another pipe first. Reading through <see cref="Input"/> counts as reading the stream
/// (a multiplexed stream grants its peer credit as the input is consumed).
/// </summary>
public interface IPipeReadable
{
    PipeReader Input { get; }
}
