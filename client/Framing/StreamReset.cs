using System.Net.Quic;

namespace Msdn.Client.Framing;

/// <summary>A stream that can be reset at once, both ways, without waiting for its peer.</summary>
public interface IAbortable
{
    void Abort();
}

/// <summary>Resetting the streams frames travel on.</summary>
public static class StreamReset
{
    /// <summary>The error code a stream is aborted with (its peer sees the stream reset).</summary>
    public const long AbortedErrorCode = 2;

    /// <summary>
    /// Resets both directions of a stream now, without waiting for the peer (which may be dead): what a
    /// failure path does before it lets go of the stream. A QUIC stream closed gracefully instead waits for
    /// the peer to acknowledge everything sent, up to the connection's idle timeout. Other streams (a plain
    /// socket) have nothing to reset: disposing them is enough.
    /// </summary>
    public static void Abort(this Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is IAbortable abortable)
        {
            abortable.Abort();
        }
        else if (stream is QuicStream quic && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()))
        {
            quic.Abort(QuicAbortDirection.Both, AbortedErrorCode);
        }
    }
}
