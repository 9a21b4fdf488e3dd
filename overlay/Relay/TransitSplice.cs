using System.Buffers;
using System.Collections.Concurrent;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;
using Msdn.Overlay.Transport;

namespace Msdn.Overlay.Relay;

/// <summary>
/// Flows passing through this relay to the next room of their source route: after the Open frame, the
/// upstream and downstream streams are spliced byte for byte, both ways. A break on either side resets
/// both, so it reaches both ends at once; a drain tears every splice down (their ingresses fail over).
/// </summary>
internal sealed class TransitSplice(RelayContext relay, PeerConnections peers)
{
    /// <summary>Flows passing through now, each with the switch that tears its splice down and the signal that it has ended.</summary>
    private readonly ConcurrentDictionary<long, (CancellationTokenSource Broken, TaskCompletionSource Ended)> _transit = new();
    private long _nextTransit;

    /// <summary>Splices torn down by <see cref="BreakAll"/>: their ingress relays hear that this relay is leaving.</summary>
    private readonly ConcurrentDictionary<long, bool> _moved = new();

    /// <summary>
    /// Tears down every splice (this relay drains or stops): their ingress relays take the same path again
    /// through a sibling of this relay if its room has one, else another path, and replay from their last ack.
    /// </summary>
    public void BreakAll()
    {
        foreach (var (id, splice) in _transit)
        {
            _moved[id] = true;
            splice.Broken.Cancel();
        }
    }

    /// <summary>
    /// <see cref="BreakAll"/>, then waits (at most <paramref name="patience"/>) until each flow's ingress has been
    /// told: a relay that stops on purpose hands its flows to its siblings rather than leave them to find out.
    /// </summary>
    public async Task MoveAllAsync(TimeSpan patience)
    {
        var ending = _transit.Values.Select(s => s.Ended.Task).ToArray();
        BreakAll();
        try
        {
            await Task.WhenAll(ending).WaitAsync(patience, relay.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // An upstream that does not take the news in time finds out when the relay's connections close.
        }
    }

    /// <summary>
    /// Splices the upstream stream to the next hop: the Open frame, then raw bytes both ways. True when both
    /// directions ended well (each side closed its writing); after any failure both streams are reset, so
    /// the break reaches both ends at once and neither waits on this relay.
    /// </summary>
    public async Task<bool> ForwardAsync(FrameStream upstream, Frame open, RoomId next)
    {
        using var watched = relay.NextHops.Use(next);
        var opened = (OpenFlow)open.Control!;
        var flowId = opened.FlowId;
        PeerStream opening;
        try
        {
            using var dialling = relay.Within(relay.Options.PathSetupTimeout); // a black-holed next hop: the ingress gives up on this path by then anyway
            opening = await peers.OpenAsync(next, NodeAffinity.For(opened.Source, flowId, opened.Destination, opened.Endpoint, next), opened.Avoid ?? [], dialling.Token).ConfigureAwait(false);
        }
        catch (PeerUnreachableException e)
        {
            // Tell the ingress which room failed: it avoids it for every flow instead of retrying through it.
            await relay.SayLastAsync(upstream, new CloseFlow(flowId, e.Message, next.Value)).ConfigureAwait(false);
            return true;
        }
        catch (NoNodeLeftException e)
        {
            await relay.SayLastAsync(upstream, new CloseFlow(flowId, e.Message)).ConfigureAwait(false); // this path fails; the room stays usable for others
            return true;
        }

        var downstream = opening.Stream;

        var downstreamFrames = new FrameStream(downstream, FrameLimits.Default);
        var endedWell = false;
        try
        {
            using (var setup = relay.Within(relay.Options.PathSetupTimeout)) // a silent next hop: give up, the ingress fails over anyway
            {
                await downstreamFrames.WriteAsync(open, setup.Token).ConfigureAwait(false);
            }

            using var broken = CancellationTokenSource.CreateLinkedTokenSource(relay.Stopping);
            var id = Interlocked.Increment(ref _nextTransit);
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _transit[id] = (broken, ended);
            relay.Metrics.FlowOpened("transit");
            try
            {
                var end = await SpliceBothWaysAsync(upstream, downstream, broken, relay.Options.CloseTimeout, relay.Time, relay.Metrics.Traffic).ConfigureAwait(false);
                endedWell = end == SpliceEnd.Closed;
                var told = false; // the upstream was told why (its stream then ends gracefully, so the news is not discarded by a reset)
                if (end == SpliceEnd.DownstreamLost)
                {
                    // The ingress takes the same path again through a sibling of the lost relay if its room has one, else avoids the room.
                    var node = opening.Node;
                    told = await TellUpstreamAsync(upstream, peers.NodeLost(node)
                        ? new CloseFlow(flowId, $"relay {relay.Room} lost its connection to {next}'s relay at {node.Name}", next.Value, Node: node.Name)
                        : new CloseFlow(flowId, $"relay {relay.Room} lost its connection to {next}", next.Value)).ConfigureAwait(false);
                }
                else if (end == SpliceEnd.Broken && _moved.TryRemove(id, out _))
                {
                    told = await TellUpstreamAsync(upstream, new CloseFlow(flowId, $"relay {relay.Room} at {relay.NodeName} is leaving (it drains or stops)", relay.Room.Value, Node: relay.NodeName)).ConfigureAwait(false);
                }

                return endedWell || told || end == SpliceEnd.Answered;
            }
            finally
            {
                ended.TrySetResult();
                _transit.TryRemove(id, out _);
                _moved.TryRemove(id, out _);
                relay.Metrics.FlowEnded("transit");
            }
        }
        finally
        {
            if (endedWell)
            {
                await downstreamFrames.CloseAsync(relay.Options.CloseTimeout, relay.Time).ConfigureAwait(false);
            }
            else
            {
                downstreamFrames.Abandon();
            }
        }
    }

    private async Task<bool> TellUpstreamAsync(FrameStream upstream, CloseFlow close)
    {
        try
        {
            await relay.SayLastAsync(upstream, close).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return false; // the upstream is gone too, or stopped reading; its ingress finds out on its own
        }
    }

    internal enum SpliceEnd
    {
        /// <summary>The ingress closed its writing and that end went on: the flow ended normally.</summary>
        Closed,

        /// <summary>A side broke (reset, cancelled, its connection failed on the upstream side).</summary>
        Broken,

        /// <summary>The downstream's connection died: the ingress is told which room was lost.</summary>
        DownstreamLost,

        /// <summary>
        /// The downstream ended its side (having said why: a refusal, a relay leaving) and all it said went back;
        /// the forward way broke after. The upstream is closed, not reset, so that the answer is read, not discarded.
        /// </summary>
        Answered,
    }

    /// <summary>How long the way back may go on after the way forward broke: enough to pass on an answer already received.</summary>
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromMilliseconds(100);

    /// <summary>Splices until either side ends, and says how it ended.</summary>
    internal static async Task<SpliceEnd> SpliceBothWaysAsync(FrameStream upstream, Stream downstream, CancellationTokenSource broken, TimeSpan closeTimeout, TimeProvider time, Load.RelayTraffic traffic)
    {
        var downstreamWatch = new DownstreamWatch();
        var forward = Task.Run(async () =>
        {
            try
            {
                await SpliceAsync(upstream.Reader, downstream, traffic, downstreamWatch, broken.Token).ConfigureAwait(false);
                await downstreamWatch.OnDownstream(downstream.CompleteWritesAsync()).ConfigureAwait(false);
            }
            catch
            {
                // The other way stops too, after a moment: a downstream that ended its side after saying why (a
                // relay leaving, a refusal) has that answer on its way back, and the ingress must read it.
                broken.CancelAfter(AnswerGrace);
                throw;
            }
        });
        var backward = Task.Run(async () =>
        {
            try
            {
                await CopyBackAsync(downstream, upstream.Stream, downstreamWatch, broken.Token).ConfigureAwait(false);
                await upstream.Stream.CompleteWritesAsync().ConfigureAwait(false);
            }
            catch
            {
                await broken.CancelAsync().ConfigureAwait(false);
                throw;
            }
        });
        var forwardWell = await Settle(forward).ConfigureAwait(false);
        if (forwardWell && await Task.WhenAny(backward, Task.Delay(closeTimeout, time)).ConfigureAwait(false) != backward)
        {
            await broken.CancelAsync().ConfigureAwait(false); // the flow's end went on; the far side's answer has had its time
        }

        var backwardWell = await Settle(backward).ConfigureAwait(false);
        // The way back only carries acks and the end's confirmation: once the flow's bytes and end have gone on
        // (the forward way ended well), an upstream that stopped listening is no failure.
        return downstreamWatch.Lost ? SpliceEnd.DownstreamLost : forwardWell ? SpliceEnd.Closed : backwardWell ? SpliceEnd.Answered : SpliceEnd.Broken;

        static async Task<bool> Settle(Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or NotSupportedException)
            {
                return false; // one side broke: both are torn down, the ingress fails over
            }
        }
    }

    /// <summary>
    /// Passes what the upstream delivers onward. A large piece of the upstream's buffer (a multiplexed
    /// stream's pipe holds whole frames in 32 KiB segments) is written as it is, without a copy; small pieces
    /// are gathered into writes of up to 64 KiB, not written one by one: a QUIC stream write costs a native
    /// call and a completion whatever its size. The gathering buffer is rented only while there is something
    /// to gather, so an idle transit flow holds none.
    /// </summary>
    private static async Task SpliceAsync(System.IO.Pipelines.PipeReader source, Stream destination, Load.RelayTraffic traffic, DownstreamWatch watch, CancellationToken cancellationToken)
    {
        const int MaxGathered = 64 * 1024;
        const int WrittenAsIs = 16 * 1024;
        ValueTask WriteOnAsync(ReadOnlyMemory<byte> bytes) => watch.OnDownstream(destination.WriteAsync(bytes, cancellationToken));
        while (true)
        {
            var result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
            byte[]? gathered = null;
            var filled = 0;
            var pieces = 0;
            foreach (var piece in result.Buffer)
            {
                pieces++;
                if (piece.Length >= WrittenAsIs)
                {
                    if (filled > 0)
                    {
                        await WriteOnAsync(gathered.AsMemory(0, filled)).ConfigureAwait(false);
                        filled = 0;
                    }

                    await WriteOnAsync(piece).ConfigureAwait(false);
                    continue;
                }

                gathered ??= ArrayPool<byte>.Shared.Rent(MaxGathered);
                if (filled + piece.Length > MaxGathered)
                {
                    await WriteOnAsync(gathered.AsMemory(0, filled)).ConfigureAwait(false);
                    filled = 0;
                }

                piece.Span.CopyTo(gathered.AsSpan(filled));
                filled += piece.Length;
            }

            if (gathered is not null)
            {
                if (filled > 0)
                {
                    await WriteOnAsync(gathered.AsMemory(0, filled)).ConfigureAwait(false);
                }

                // Returned only after writes that completed: a cancelled QUIC write may still be reading it
                // natively, so on a failure the buffer is left to the collector, never reused.
                ArrayPool<byte>.Shared.Return(gathered);
            }

            traffic.In(result.Buffer.Length, pieces);
            traffic.Out(result.Buffer.Length, pieces);
            source.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The way back: the downstream's acks and answers, passed up. Only a failure to read the downstream says anything
    /// about the next hop: a failure to write up is the upstream's (its relay died), and must not make this relay drop
    /// a healthy connection to the next one, which other flows share.
    /// </summary>
    private static async Task CopyBackAsync(Stream downstream, Stream upstream, DownstreamWatch watch, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        while (true)
        {
            var read = await watch.OnDownstream(downstream.ReadAsync(buffer, cancellationToken)).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            await upstream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        // Returned only after reads and writes that completed: a cancelled QUIC operation may still hold it natively.
        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Whether the downstream's own connection was lost (seen on a read from it or a write to it, not on the upstream's side).</summary>
    private sealed class DownstreamWatch
    {
        private volatile bool _lost;

        public bool Lost => _lost;

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask OnDownstream(ValueTask operation)
        {
            try
            {
                await operation.ConfigureAwait(false);
            }
            catch (Exception e) when (Saw(e))
            {
                throw;
            }
        }

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<T> OnDownstream<T>(ValueTask<T> operation)
        {
            try
            {
                return await operation.ConfigureAwait(false);
            }
            catch (Exception e) when (Saw(e))
            {
                throw;
            }
        }

        /// <summary>Notes a connection loss; never catches (a filter that returns false).</summary>
        private bool Saw(Exception e)
        {
            if (RelayStreams.IsConnectionLoss(e))
            {
                _lost = true;
            }

            return false;
        }
    }
}
