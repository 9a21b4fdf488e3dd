using System.Collections.Concurrent;
using System.Net;
using Msdn.Client.Framing;

namespace Msdn.Overlay.Transport;

/// <summary>
/// Relay link impairment in user space (no netem here), for tests and drills. Cuts: while a destination
/// is cut, new connections to it fail and every stream to it stalls both ways — as on a real cut, where
/// nothing errors and only silence tells; restoring lets the held bytes through, none lost, as TCP's
/// retransmission would. Delay and jitter: each write toward the destination is held that long (in
/// order). Loss has no meaning on a reliable stream (TCP turns it into delay): impair the probe socket
/// for loss.
/// </summary>
public sealed class ImpairedRelayTransport(IRelayTransport inner, TimeProvider? time = null) : IRelayTransport
{
    private readonly ConcurrentDictionary<EndPoint, CancellationTokenSource> _cuts = new();
    private readonly ConcurrentDictionary<EndPoint, Msdn.Probe.Transport.LinkImpairment> _delays = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _randomLock = new();
    private readonly Random _random = new(7);

    /// <summary>Applies an impairment toward <paramref name="destination"/>: cut, or delay with jitter; <see cref="Msdn.Probe.Transport.LinkImpairment.None"/> clears it.</summary>
    public void Impair(EndPoint destination, Msdn.Probe.Transport.LinkImpairment impairment)
    {
        ArgumentNullException.ThrowIfNull(impairment);
        if (impairment.Cut)
        {
            Cut(destination);
        }
        else
        {
            Restore(destination);
        }

        if (impairment.Delay > TimeSpan.Zero || impairment.Jitter > TimeSpan.Zero)
        {
            _delays[destination] = impairment;
        }
        else
        {
            _delays.TryRemove(destination, out _);
        }
    }

    private TimeSpan DelayFor(EndPoint destination)
    {
        if (!_delays.TryGetValue(destination, out var impairment))
        {
            return TimeSpan.Zero;
        }

        double spread;
        lock (_randomLock)
        {
            spread = (_random.NextDouble() * 2) - 1;
        }

        var delay = impairment.Delay + (impairment.Jitter * spread);
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

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

        public System.Security.Cryptography.X509Certificates.X509Certificate? RemoteCertificate => inner.RemoteCertificate;

        public async ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken) =>
            new CuttableStream(await inner.OpenStreamAsync(cancellationToken).ConfigureAwait(false), destination, impairment);

        public async ValueTask<Stream> AcceptStreamAsync(CancellationToken cancellationToken) =>
            new CuttableStream(await inner.AcceptStreamAsync(cancellationToken).ConfigureAwait(false), destination, impairment);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class CuttableStream(Stream inner, EndPoint destination, ImpairedRelayTransport impairment) : Stream, IHalfClosable, IAbortable
    {
        private readonly CancellationTokenSource _disposed = new();
        private DelayLine? _delayLine;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            await WhileCutAsync(cancellationToken).ConfigureAwait(false); // held back, not lost: TCP retransmits after a cut
            return read;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await WhileCutAsync(cancellationToken).ConfigureAwait(false);
            await WriteThroughAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Waits, silently, while the link is cut; the stream's disposal or the caller's cancellation ends the wait.</summary>
        private async Task WhileCutAsync(CancellationToken cancellationToken)
        {
            while (impairment.IsCut(destination, out var restored))
            {
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, restored, _disposed.Token);
                try
                {
                    await Task.Delay(Timeout.Infinite, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
                }
            }
        }

        private ValueTask WriteThroughAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        {
            var delay = impairment.DelayFor(destination);
            if (delay == TimeSpan.Zero && _delayLine is null)
            {
                return inner.WriteAsync(buffer, cancellationToken);
            }

            // Once delayed, always through the line: a later undelayed write must not overtake earlier ones.
            _delayLine ??= new DelayLine(inner, impairment._time);
            return _delayLine.WriteAsync(buffer, delay, cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => _delayLine is null ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

        public async ValueTask CompleteWritesAsync()
        {
            if (_delayLine is { } line)
            {
                await line.DrainAsync().ConfigureAwait(false);
            }

            await inner.CompleteWritesAsync().ConfigureAwait(false);
        }

        public override void Flush() => inner.Flush();

        public void Abort()
        {
            _disposed.Cancel();
            _delayLine?.Abort();
            inner.Abort();
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
            if (_delayLine is { } line)
            {
                await line.DisposeAsync().ConfigureAwait(false);
            }

            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _disposed.Cancel();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
