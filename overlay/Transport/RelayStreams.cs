using System.Net.Quic;

namespace Msdn.Overlay.Transport;

/// <summary>A relay stream that can end its writing side while reading goes on.</summary>
internal interface IHalfClosable
{
    ValueTask CompleteWritesAsync();
}

/// <summary>What a relay asks of the streams its transports give it: half-closing, and telling a lost connection from a refused stream.</summary>
internal static class RelayStreams
{
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
