using System.Net.Quic;

namespace Msdn.Overlay.Transport;

/// <summary>A relay stream that can end its writing side while reading goes on.</summary>
public interface IHalfClosable
{
    ValueTask CompleteWritesAsync();
}

/// <summary>A relay stream that can be reset at once, both ways, without waiting for its peer.</summary>
public interface IAbortable
{
    void Abort();
}

public static class RelayStreams
{
    /// <summary>The error code a relay stream is aborted with (its peer sees the stream reset).</summary>
    public const long AbortedErrorCode = 2;

    /// <summary>
    /// Resets both directions of a relay stream now, without waiting for the peer (which may be dead):
    /// what a failure path does before it lets go of the stream. A QUIC stream closed gracefully instead
    /// waits for the peer to acknowledge everything sent, up to the connection's idle timeout.
    /// </summary>
    public static void Abort(this Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is IAbortable abortable)
        {
            abortable.Abort();
        }
        else if (stream is QuicStream quic && QuicAvailability.IsPlatform)
        {
            quic.Abort(QuicAbortDirection.Both, AbortedErrorCode);
        }
    }

    /// <summary>
    /// Whether a stream failed because its whole connection to the peer relay was lost (the peer died, the
    /// network broke, the connection was dropped), as opposed to this one stream being refused or reset:
    /// the ingress then avoids that relay for every flow for a while.
    /// </summary>
    public static bool IsConnectionLoss(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is RelayConnectionLostException || (e is QuicException quic && IsConnectionLevel(quic)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsConnectionLevel(QuicException quic) =>
        QuicAvailability.IsPlatform && quic.QuicError is QuicError.ConnectionAborted or QuicError.ConnectionIdle or QuicError.ConnectionTimeout or QuicError.ConnectionRefused or QuicError.OperationAborted;

    /// <summary>Ends the writing side of a relay stream (the peer reads to its end) while reading continues.</summary>
    public static ValueTask CompleteWritesAsync(this Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        switch (stream)
        {
            case IHalfClosable halfClosable:
                return halfClosable.CompleteWritesAsync();
            case QuicStream quic when QuicAvailability.IsPlatform:
                quic.CompleteWrites();
                return ValueTask.CompletedTask;
            default:
                throw new NotSupportedException($"{stream.GetType().Name} is not a relay stream.");
        }
    }
}
