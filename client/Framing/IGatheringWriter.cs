namespace Msdn.Client.Framing;

/// <summary>
/// A stream that sends a small header and the payload after it as one unit without first copying them
/// together: a data frame's header and its chunk go out as they are, the chunk copied once, into the
/// transport's queue.
/// </summary>
public interface IGatheringWriter
{
    /// <summary>Whether <paramref name="bytes"/> (header and payload together) go out as one unit; larger writes go through the stream's plain write.</summary>
    bool FitsOneUnit(int bytes);

    ValueTask WriteAsync(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
