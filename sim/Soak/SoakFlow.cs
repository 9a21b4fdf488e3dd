using System.Net.Sockets;
using Msdn.Client;
using Msdn.Graph.Topology;
using Msdn.Sim.Drills.Loopback;

namespace Msdn.Sim.Soak;

/// <summary>How a soak flow's subscriber reads.</summary>
public enum SubscriberPace
{
    /// <summary>As fast as the bytes come.</summary>
    Prompt,

    /// <summary>64 KiB every 250 ms (256 KiB/s): the relay holds its sender back.</summary>
    Slow,

    /// <summary>Takes the flow and never reads it: the relay ends it and tells the sender why.</summary>
    Never,
}

/// <summary>
/// One flow of the soak, through real client ports as a media engine's: a subscriber at <paramref name="to"/>'s relay,
/// a sender at <paramref name="from"/>'s writing <paramref name="bytes"/> of a pattern that depends on each byte's
/// offset (so the subscriber checks order and content without keeping a copy), paced at <paramref name="bytesPerSecond"/>.
/// </summary>
public sealed class SoakFlow(LoopbackCluster cluster, string from, string to, string endpoint, long bytes, long bytesPerSecond, SubscriberPace pace, ulong seed)
{
    private const int Block = 64 * 1024;

    /// <summary>Bytes the sender's writes returned for (the relay took them).</summary>
    public long Offered { get; private set; }

    /// <summary>Bytes the subscriber read, all checked.</summary>
    public long Received { get; private set; }

    /// <summary>Runs the flow to its end; an answer that does not come within <paramref name="patience"/> is <see cref="SoakOutcome.Unaccounted"/>.</summary>
    public async Task<(SoakOutcome Outcome, string Reason)> RunAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(patience);
        ClientSubscription subscription;
        try
        {
            subscription = await RelayClient.SubscribeAsync(cluster.Endpoints[to].Client, cluster.MediaToken(to, [], [endpoint]), endpoint, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return (SoakOutcome.Refused, $"subscribe at {to}: {Reason(e)}");
        }

        await using (subscription.ConfigureAwait(false))
        {
            using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var reading = Task.Run(() => ReadAsync(subscription, stopReading.Token), CancellationToken.None);
            var (outcome, reason) = await WriteAsync(deadline.Token).ConfigureAwait(false);
            if (outcome == SoakOutcome.Delivered)
            {
                // "Delivered" means the subscriber's relay handed it every byte: its client reads the last of them now.
                stopReading.CancelAfter(TimeSpan.FromSeconds(10));
            }
            else
            {
                await stopReading.CancelAsync().ConfigureAwait(false);
            }

            var intact = await reading.ConfigureAwait(false);
            if (!intact)
            {
                return (SoakOutcome.Corrupted, $"the subscriber read a byte out of place at offset {Received}");
            }

            if (outcome == SoakOutcome.Delivered && Received != bytes)
            {
                return (SoakOutcome.Corrupted, $"delivered, but the subscriber read {Received:N0} of {bytes:N0} bytes");
            }

            return (outcome, reason);
        }
    }

    private async Task<(SoakOutcome, string)> WriteAsync(CancellationToken cancellationToken)
    {
        var block = new byte[Block];
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var writer = await RelayClient.OpenAsync(cluster.Endpoints[from].Client, cluster.MediaToken(from, [$"{to}/{endpoint}"], []), new RoomId(to), endpoint, cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                while (Offered < bytes)
                {
                    var size = (int)Math.Min(Block, bytes - Offered);
                    Fill(block.AsSpan(0, size), Offered);
                    await writer.WriteAsync(block.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
                    Offered += size;
                    var due = TimeSpan.FromSeconds((double)Offered / bytesPerSecond) - started.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken).ConfigureAwait(false); // the flow's pace, not a wait for a signal
                    }
                }

                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                return (SoakOutcome.Delivered, "delivered");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (SoakOutcome.Unaccounted, $"no answer after {Offered:N0} bytes offered");
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return (SoakOutcome.Refused, Reason(e));
        }
    }

    /// <summary>Reads the flow at the subscriber's pace, checking every byte; false at the first one out of place.</summary>
    private async Task<bool> ReadAsync(ClientSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            var incoming = await subscription.AcceptFlowAsync(cancellationToken).ConfigureAwait(false);
            if (pace == SubscriberPace.Never)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }

            var expected = new byte[Block];
            long sinceBreath = 0;
            await foreach (var chunk in incoming.Data.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var at = 0; at < chunk.Length; at += Block)
                {
                    var piece = chunk.Span.Slice(at, Math.Min(Block, chunk.Length - at));
                    Fill(expected.AsSpan(0, piece.Length), Received);
                    if (!piece.SequenceEqual(expected.AsSpan(0, piece.Length)))
                    {
                        return false;
                    }

                    Received += piece.Length;
                }

                sinceBreath += chunk.Length;
                if (pace == SubscriberPace.Slow && sinceBreath >= Block)
                {
                    sinceBreath = 0;
                    await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false); // the slow reader's pace
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException || IsRefusal(e))
        {
            // The flow ended badly or was given up on: the sender's side says why; what was read was checked.
        }

        return true;
    }

    /// <summary>The byte at each offset of the flow: a function of the offset and the flow's seed, so any misplaced byte shows.</summary>
    private void Fill(Span<byte> span, long offset)
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (byte)((((ulong)(offset + i) * 0x9E3779B97F4A7C15UL) + seed) >> 56);
        }
    }

    private static bool IsRefusal(Exception e) => e is RelayClientException or IOException or SocketException or FlowCutOffException or Msdn.Client.Framing.FrameFormatException or System.Threading.Channels.ChannelClosedException or OperationCanceledException;

    private static string Reason(Exception e) => e switch
    {
        RelayClientException refused => refused.Message,
        SocketException socket => $"connection: {socket.SocketErrorCode}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
