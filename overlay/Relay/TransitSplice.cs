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
    /// <summary>Flows passing through now, each with the switch that tears its splice down.</summary>
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _transit = new();
    private long _nextTransit;

    /// <summary>Tears down every splice: their ingress relays fail over and replay from their last ack.</summary>
    public void BreakAll()
    {
        foreach (var splice in _transit.Values)
        {
            splice.Cancel();
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
        var flowId = ((OpenFlow)open.Control!).FlowId;
        Stream downstream;
        try
        {
            using var dialling = relay.Within(relay.Options.PathSetupTimeout); // a black-holed next hop: the ingress gives up on this path by then anyway
            downstream = await peers.OpenStreamAsync(next, dialling.Token).ConfigureAwait(false);
        }
        catch (PeerUnreachableException e)
        {
            // Tell the ingress which room failed: it avoids it for every flow instead of retrying through it.
            await relay.SayLastAsync(upstream, new CloseFlow(flowId, e.Message, next.Value)).ConfigureAwait(false);
            return true;
        }

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
            _transit[id] = broken;
            relay.Metrics.FlowOpened("transit");
            try
            {
                var ended = await SpliceBothWaysAsync(upstream, downstream, broken, relay.Options.CloseTimeout, relay.Time, relay.Metrics.Traffic).ConfigureAwait(false);
                if (ended == SpliceEnd.DownstreamLost)
                {
                    await TellUpstreamAsync(upstream, new CloseFlow(flowId, $"relay {relay.Room} lost its connection to {next}", next.Value)).ConfigureAwait(false);
                }

                endedWell = ended == SpliceEnd.Closed;
                return endedWell;
            }
            finally
            {
                _transit.TryRemove(id, out _);
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

    private async Task TellUpstreamAsync(FrameStream upstream, CloseFlow close)
    {
        try
        {
            await relay.SayLastAsync(upstream, close).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The upstream is gone too, or stopped reading; its ingress finds out on its own.
        }
    }

    private enum SpliceEnd
    {
        /// <summary>The ingress closed its writing and that end went on: the flow ended normally.</summary>
        Closed,

        /// <summary>A side broke (reset, cancelled, its connection failed on the upstream side).</summary>
        Broken,

        /// <summary>The downstream's connection died: the ingress is told which room was lost.</summary>
        DownstreamLost,
    }

    /// <summary>Splices until either side ends, and says how it ended.</summary>
    private static async Task<SpliceEnd> SpliceBothWaysAsync(FrameStream upstream, Stream downstream, CancellationTokenSource broken, TimeSpan closeTimeout, TimeProvider time, Load.RelayTraffic traffic)
    {
        var downstreamLost = false;
        var forward = Task.Run(async () =>
        {
            try
            {
                await SpliceAsync(upstream.Reader, downstream, traffic, broken.Token).ConfigureAwait(false);
                await downstream.CompleteWritesAsync().ConfigureAwait(false);
            }
            catch
            {
                await broken.CancelAsync().ConfigureAwait(false); // one direction broke: the other stops too
                throw;
            }
        });
        var backward = Task.Run(async () =>
        {
            try
            {
                await downstream.CopyToAsync(upstream.Stream, broken.Token).ConfigureAwait(false);
                await upstream.Stream.CompleteWritesAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                downstreamLost |= RelayStreams.IsConnectionLoss(e);
                await broken.CancelAsync().ConfigureAwait(false);
                throw;
            }
        });
        var forwardWell = await Settle(forward).ConfigureAwait(false);
        if (forwardWell && await Task.WhenAny(backward, Task.Delay(closeTimeout, time)).ConfigureAwait(false) != backward)
        {
            await broken.CancelAsync().ConfigureAwait(false); // the flow's end went on; the far side's answer has had its time
        }

        await Settle(backward).ConfigureAwait(false);
        // The way back only carries acks and the end's confirmation: once the flow's bytes and end have gone on
        // (the forward way ended well), an upstream that stopped listening is no failure.
        return downstreamLost ? SpliceEnd.DownstreamLost : forwardWell ? SpliceEnd.Closed : SpliceEnd.Broken;

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
    private static async Task SpliceAsync(System.IO.Pipelines.PipeReader source, Stream destination, Load.RelayTraffic traffic, CancellationToken cancellationToken)
    {
        const int MaxGathered = 64 * 1024;
        const int WrittenAsIs = 16 * 1024;
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
                        await destination.WriteAsync(gathered.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                        filled = 0;
                    }

                    await destination.WriteAsync(piece, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                gathered ??= ArrayPool<byte>.Shared.Rent(MaxGathered);
                if (filled + piece.Length > MaxGathered)
                {
                    await destination.WriteAsync(gathered.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                    filled = 0;
                }

                piece.Span.CopyTo(gathered.AsSpan(filled));
                filled += piece.Length;
            }

            if (gathered is not null)
            {
                if (filled > 0)
                {
                    await destination.WriteAsync(gathered.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
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
}
