using System.IO.Pipelines;

namespace Msdn.Overlay.Tests.Transport;

/// <summary>Two connected duplex byte streams in process: a connection's bytes without sockets or TLS, for protocol tests.</summary>
internal static class InProcessDuplex
{
    public static (Stream, Stream) Pair()
    {
        var there = new Pipe();
        var back = new Pipe();
        return (new Duplex(back.Reader.AsStream(), there.Writer.AsStream()), new Duplex(there.Reader.AsStream(), back.Writer.AsStream()));
    }

    private sealed class Duplex(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

        public override void Flush() => output.Flush();

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                output.Dispose();
                input.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
