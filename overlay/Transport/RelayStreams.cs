using System.Net.Quic;

namespace Msdn.Overlay.Transport;

/// <summary>A relay stream that can end its writing side while reading goes on.</summary>
public interface IHalfClosable
{
    ValueTask CompleteWritesAsync();
}

public static class RelayStreams
{
    /// <summary>Ends the writing side of a relay stream (the peer reads to its end) while reading continues.</summary>
    public static ValueTask CompleteWritesAsync(this Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        switch (stream)
        {
            case IHalfClosable halfClosable:
                return halfClosable.CompleteWritesAsync();
            case QuicStream quic when OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS():
                quic.CompleteWrites();
                return ValueTask.CompletedTask;
            default:
                throw new NotSupportedException($"{stream.GetType().Name} is not a relay stream.");
        }
    }
}
