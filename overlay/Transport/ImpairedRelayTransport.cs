using System.Collections.Concurrent;
using System.Net;

namespace Msdn.Overlay.Transport;

/// <summary>
/// Hard cuts of relay links in user space (no netem here), for tests and drills: while a destination is
/// cut, new connections to it fail and every stream to it becomes a black hole — writes vanish, nothing
/// more is read — as on a real cut, where nothing errors and only silence tells. Restoring lets traffic
/// through again.
/// </summary>
public sealed class ImpairedRelayTransport(IRelayTransport inner) : IRelayTransport
{
    private readonly ConcurrentDictionary<EndPoint, CancellationTokenSource> _cuts = new();

    public string Name => $"{inner.Name}+impairment";

    public bool IsSupported => inner.IsSupported;

    public void Cut(EndPoint destination) => _cuts.TryAdd(destination, new CancellationTokenSource());

    public void Restore(EndPoint destination)
    {
        if (_cuts.TryRemove(destination, out var cut))
        {
            cut.Cancel(); // wakes reads parked on the cut
            cut.Dispose();
        }
    }

    public Task<IRelayListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken) => inner.ListenAsync(endpoint, cancellationToken);

    public async Task<IRelayConnection> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        if (_cuts.ContainsKey(endpoint))
        {
            throw new IOException($"The link to {endpoint} is cut.");
        }

        return new Connection(await inner.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false), endpoint, this);
    }

    private bool IsCut(EndPoint destination, out CancellationToken restored)
    {
        restored = default;
        if (!_cuts.TryGetValue(destination, out var cut))
        {
            return false;
        }

        try
        {
            restored = cut.Token;
        }
        catch (ObjectDisposedException)
        {
            return false; // restored in the meantime
        }

        return true;
    }

    private sealed class Connection(IRelayConnection inner, EndPoint destination, ImpairedRelayTransport impairment) : IRelayConnection
    {
        public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

        public async ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken) =>
            new CuttableStream(await inner.OpenStreamAsync(cancellationToken).ConfigureAwait(false), destination, impairment);

        public async ValueTask<Stream> AcceptStreamAsync(CancellationToken cancellationToken) =>
            new CuttableStream(await inner.AcceptStreamAsync(cancellationToken).ConfigureAwait(false), destination, impairment);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class CuttableStream(Stream inner, EndPoint destination, ImpairedRelayTransport impairment) : Stream, IHalfClosable
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (!impairment.IsCut(destination, out var restored))
                {
                    return read;
                }

                // Cut: what arrived is lost, and the reader hears nothing until the link is restored.
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, restored);
                try
                {
                    await Task.Delay(Timeout.Infinite, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            impairment.IsCut(destination, out _) ? ValueTask.CompletedTask : inner.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public ValueTask CompleteWritesAsync() => impairment.IsCut(destination, out _) ? ValueTask.CompletedTask : inner.CompleteWritesAsync();

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
