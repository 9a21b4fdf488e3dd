using System.Threading.Channels;
using Msdn.Client.Framing;
using Msdn.Overlay.Load;
using Msdn.Overlay.Relay;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Tests.Relay;

/// <summary>
/// How a transit relay's splice tells whose connection died. Only the next hop's own connection loss may make the
/// transit relay drop its connection to that hop (which other flows share); the ingress dying is not news about it.
/// The failures are scripted on both sides: over QUIC the order in which a dying ingress and a live ack meet is a race.
/// </summary>
public sealed class TransitSpliceTests
{
    [Fact]
    public async Task An_ack_that_cannot_go_up_because_the_ingress_died_is_not_the_downstream_lost()
    {
        var upstream = new ScriptedStream { WriteFailure = new RelayConnectionLostException("The relay connection failed.", null) };
        var downstream = new ScriptedStream();
        downstream.Arrive([1, 2, 3]); // an ack from the healthy next hop, on its way back to the dead ingress

        var end = await SpliceAsync(upstream, downstream);

        Assert.Equal(TransitSplice.SpliceEnd.Broken, end);
    }

    [Fact]
    public async Task A_read_from_a_next_hop_whose_connection_died_is_the_downstream_lost()
    {
        var upstream = new ScriptedStream();
        var downstream = new ScriptedStream();
        downstream.Fail(new RelayConnectionLostException("The relay connection failed.", null));

        var end = await SpliceAsync(upstream, downstream);

        Assert.Equal(TransitSplice.SpliceEnd.DownstreamLost, end);
    }

    [Fact]
    public async Task A_write_to_a_next_hop_whose_connection_died_is_the_downstream_lost()
    {
        var upstream = new ScriptedStream();
        upstream.Arrive([9, 9, 9, 9]); // the flow's bytes, to go on
        var downstream = new ScriptedStream { WriteFailure = new RelayConnectionLostException("The relay connection failed.", null) };

        var end = await SpliceAsync(upstream, downstream);

        Assert.Equal(TransitSplice.SpliceEnd.DownstreamLost, end);
    }

    private static async Task<TransitSplice.SpliceEnd> SpliceAsync(ScriptedStream upstream, ScriptedStream downstream)
    {
        using var broken = new CancellationTokenSource();
        var frames = new FrameStream(upstream, FrameLimits.Default);
        return await TransitSplice.SpliceBothWaysAsync(frames, downstream, broken, TimeSpan.FromSeconds(1), TimeProvider.System, new RelayTraffic())
            .WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>One side of a relay stream: reads what the script made arrive (or its failure), writes or fails as told.</summary>
    private sealed class ScriptedStream : Stream, IHalfClosable
    {
        private readonly Channel<byte[]> _arriving = Channel.CreateUnbounded<byte[]>();

        public Exception? WriteFailure { get; init; }

        public void Arrive(byte[] bytes) => _arriving.Writer.TryWrite(bytes);

        public void Fail(Exception reason) => _arriving.Writer.TryComplete(reason);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                var bytes = await _arriving.Reader.ReadAsync(cancellationToken);
                bytes.CopyTo(buffer);
                return bytes.Length;
            }
            catch (ChannelClosedException e) when (e.InnerException is { } reason)
            {
                throw reason;
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            WriteFailure is { } failure ? ValueTask.FromException(failure) : ValueTask.CompletedTask;

        public ValueTask CompleteWritesAsync() => ValueTask.CompletedTask;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
