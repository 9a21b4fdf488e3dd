using System.Buffers;
using System.Net;
using Msdn.Client.Framing;

namespace Msdn.Client;

/// <summary>
/// A flow being written. The flow keeps every chunk until the destination relay acknowledges it (end to end, as the
/// relay passes the acks on), at most <see cref="MaxUnacknowledgedBytes"/>: a writer that gets further ahead waits.
/// When the relay it writes through dies or its connection breaks, the flow resumes at another relay of the room
/// (the next of <see cref="Relays"/>) from the last acknowledgement, and the destination passes over what it already
/// had: nothing is lost, duplicated or reordered. <see cref="CompleteAsync"/> returns once the destination has
/// everything. One writer at a time, as for a <see cref="Stream"/>.
/// </summary>
public sealed class ClientFlow : IAsyncDisposable
{
    /// <summary>What the flow keeps unacknowledged at most (a writer further ahead waits for acks).</summary>
    public const long MaxUnacknowledgedBytes = 8 * 1024 * 1024;

    /// <summary>How long the flow looks for a relay of its room to resume at before it fails.</summary>
    public static readonly TimeSpan ResumePatience = TimeSpan.FromSeconds(10);

    internal const int MaxChunkBytes = (16 * 1024) - 64;

    /// <summary>Chunks sent in one write at most: a large write goes to the relay in a few socket writes, not one per chunk.</summary>
    private const int ChunksPerWrite = 8;

    /// <summary>The frames of the write under way (there is one writer at a time).</summary>
    private readonly List<Frame> _batch = new(ChunksPerWrite);

    private readonly FlowIntroduction _introduction;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly UnacknowledgedChunks _unacknowledged = new(MaxUnacknowledgedBytes);
    private readonly CancellationTokenSource _disposed = new();
    private RelayConnection _connection;
    private bool _closing;
    private int _resumptions;

    internal ClientFlow(FlowIntroduction introduction, RelayConnection connection, ulong id, string ticket)
    {
        _introduction = introduction;
        _connection = connection;
        Id = id;
        Ticket = ticket;
        connection.Listen(this);
    }

    public ulong Id { get; }

    /// <summary>The relays of the flow's room it may write through, the first one it opened at first.</summary>
    public IReadOnlyList<EndPoint> Relays => _introduction.Relays;

    /// <summary>The relay the flow writes through now.</summary>
    public EndPoint Relay => Volatile.Read(ref _connection).Relay;

    /// <summary>Times the flow resumed at another relay (or a new connection to its own) after a connection broke.</summary>
    public int Resumptions => Volatile.Read(ref _resumptions);

    /// <summary>Bytes written and not yet acknowledged by the destination relay.</summary>
    public long UnacknowledgedBytes => _unacknowledged.Bytes;

    internal string Ticket { get; }

    /// <summary>
    /// Appends <paramref name="data"/>, cut into chunks; waits while too much is unacknowledged. Each write to the relay
    /// carries the chunks kept so far, up to <see cref="ChunksPerWrite"/>, the first of them waited for.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var at = 0;
        while (at < data.Length)
        {
            _batch.Clear();
            var chunk = await KeepAsync(Piece(data, at), cancellationToken).ConfigureAwait(false);
            do
            {
                _batch.Add(Frame.Data(Id, chunk.Sequence, new ReadOnlySequence<byte>(chunk.Payload)));
                at += chunk.Payload.Length;
            }
            while (_batch.Count < ChunksPerWrite && at < data.Length && _unacknowledged.TryAdd(Piece(data, at), out chunk, out _));

            await SendAsync(_batch, cancellationToken).ConfigureAwait(false);
        }

        static ReadOnlyMemory<byte> Piece(ReadOnlyMemory<byte> data, int at) => data.Slice(at, Math.Min(MaxChunkBytes, data.Length - at));
    }

    /// <summary>No more data; returns once the destination relay has delivered everything written.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        _closing = true;
        await SendAsync([Frame.Close(new CloseFlow(Id, "complete"))], cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var connection = Volatile.Read(ref _connection);
            var answer = await connection.Answer.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (answer is { Reason: "delivered" })
            {
                return;
            }

            if (answer is not null)
            {
                throw new RelayClientException(answer.Reason);
            }

            // The connection broke before the relay's answer: the flow resumes (and closes again) elsewhere.
            await ResumeAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        await Volatile.Read(ref _connection).DisposeAsync().ConfigureAwait(false);
        _unacknowledged.Clear();
    }

    /// <summary>An end-to-end ack arrived on <paramref name="connection"/>.</summary>
    internal void Acknowledged(ulong nextExpected) => _unacknowledged.Acknowledge(nextExpected);

    /// <summary>The connection ended without the relay's last word: the flow resumes elsewhere, now, whether or not a write is under way.</summary>
    internal void Lost(RelayConnection connection) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await ResumeAsync(connection, _disposed.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or RelayClientException or IOException or ObjectDisposedException)
            {
                // The writer hears it on its next call (the flow's failure is kept).
            }
        });

    /// <summary>Keeps a copy of <paramref name="piece"/> until acknowledged, waiting while too much is unacknowledged.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<UnacknowledgedChunks.Chunk> KeepAsync(ReadOnlyMemory<byte> piece, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfFailed();
            if (_unacknowledged.TryAdd(piece, out var chunk, out var room))
            {
                return chunk;
            }

            var connection = Volatile.Read(ref _connection);
            if (connection.Answer.IsCompleted)
            {
                if (await connection.Answer.ConfigureAwait(false) is { } answer)
                {
                    throw new RelayClientException(answer.Reason); // the relay ended the flow: nothing more goes anywhere
                }

                // The connection was lost and the flow is resuming elsewhere: acks come again on the next one.
                await Task.WhenAny(room, Task.Delay(TimeSpan.FromMilliseconds(20), _introduction.Time, cancellationToken)).ConfigureAwait(false);
                continue;
            }

            await Task.WhenAny(room, connection.Answer).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="frames"/> through the current connection; when it breaks, the flow resumes elsewhere (which sends everything unacknowledged, these too).</summary>
    private async Task SendAsync(List<Frame> frames, CancellationToken cancellationToken)
    {
        RelayConnection connection;
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            connection = _connection;
            try
            {
                await connection.Frames.WriteAsync(frames, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Resumed below, outside the lock.
            }
        }
        finally
        {
            _sending.Release();
        }

        if (await connection.AnsweredSoonAsync().ConfigureAwait(false) is { } answer && answer.Reason != "delivered")
        {
            throw new RelayClientException(answer.Reason); // the relay ended the flow and said why before closing
        }

        await ResumeAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    private Exception? _failure;

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Replaces <paramref name="broken"/> (unless that happened already) with a connection to a relay of the room,
    /// trying each in turn from the one after it for <see cref="ResumePatience"/>, and sends everything unacknowledged
    /// (and the close, if the writer had closed) on it.
    /// </summary>
    private async Task ResumeAsync(RelayConnection broken, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            if (!ReferenceEquals(_connection, broken))
            {
                return; // resumed already, by the writer or the listener
            }

            await broken.DisposeAsync().ConfigureAwait(false);
            var time = _introduction.Time;
            var started = time.GetTimestamp();
            var relays = _introduction.Relays;
            var at = Math.Max(0, IndexOf(relays, broken.Relay));
            Exception? last = null;
            for (var attempt = 1; time.GetElapsedTime(started) < ResumePatience; attempt++)
            {
                var relay = relays[(at + attempt) % relays.Count];
                try
                {
                    var connection = await _introduction.ResumeAsync(relay, Id, Ticket, _unacknowledged.From, cancellationToken).ConfigureAwait(false);
                    foreach (var chunk in _unacknowledged.Snapshot())
                    {
                        await connection.Frames.WriteAsync(Frame.Data(Id, chunk.Sequence, new ReadOnlySequence<byte>(chunk.Payload)), cancellationToken).ConfigureAwait(false);
                    }

                    if (_closing)
                    {
                        await connection.Frames.WriteAsync(Frame.Close(new CloseFlow(Id, "complete")), cancellationToken).ConfigureAwait(false);
                    }

                    _connection = connection;
                    Interlocked.Increment(ref _resumptions);
                    connection.Listen(this);
                    return;
                }
                catch (RelayClientException e) when (e.Reason.StartsWith("token", StringComparison.Ordinal) || e.Reason.StartsWith("resume past", StringComparison.Ordinal))
                {
                    _failure = e; // the engine may not resume this flow at all: no other relay will say otherwise
                    throw;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RelayClientException or FrameFormatException or TimeoutException)
                {
                    last = e; // that relay is gone too, or refuses (draining): the next one
                    if (attempt % relays.Count == 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt)), time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            _failure = new RelayClientException($"no relay of the flow's room took flow {Id} back within {ResumePatience.TotalSeconds:F0} s: {last?.Message}");
            ThrowIfFailed();
        }
        finally
        {
            _sending.Release();
        }
    }

    private static int IndexOf(IReadOnlyList<EndPoint> relays, EndPoint relay)
    {
        for (var i = 0; i < relays.Count; i++)
        {
            if (relays[i].Equals(relay))
            {
                return i;
            }
        }

        return -1;
    }
}
