using System.Net.Quic;
using Msdn.Overlay.Transport.Mux;

namespace Msdn.Overlay.Transport;

public static class RelayStreams
{
    /// <summary>Ends the writing side of a relay stream (the peer reads to its end) while reading continues.</summary>
    public static ValueTask CompleteWritesAsync(this Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        switch (stream)
        {
            case MuxStream mux:
                return mux.CompleteWritesAsync();
            case QuicStream quic when OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS():
                quic.CompleteWrites();
                return ValueTask.CompletedTask;
            default:
                throw new NotSupportedException($"{stream.GetType().Name} is not a relay stream.");
        }
    }
}
