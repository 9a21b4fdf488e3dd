using Msdn.Client;
using Msdn.Graph.Topology;

namespace Msdn.Sim.Drills.Loopback;

/// <summary>
/// A <c>load</c> fault's extra flows: media engines in a room write through the relay the path lookup names for
/// each (so they spread over the room's serving relays) to a subscriber in another room, at a modest rate, for a
/// while, then close. They make the room's relays busy as real flows do, so the load those relays report rises,
/// and with it the room's load the controller answers them (what takes a draining relay back into service).
/// </summary>
internal static class LoadFlows
{
    private const int ChunkBytes = 1024;
    private static readonly TimeSpan ChunkEvery = TimeSpan.FromMilliseconds(20);

    /// <returns>What became of the flows: how many arrived whole.</returns>
    public static async Task<string?> RunAsync(LoopbackCluster cluster, string room, string to, int count, TimeSpan lasting, TextWriter progress, CancellationToken drillOver)
    {
        try
        {
            return await RunOrThrowAsync(cluster, room, to, count, lasting, progress, drillOver).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (drillOver.IsCancellationRequested)
        {
            return $"{count} extra flows were still running when the drill's flows were done";
        }
        catch (Exception e) when (e is IOException or RelayClientException or FlowCutOffException or TimeoutException)
        {
            progress.WriteLine($"  load on {room}: an extra flow failed: {e.Message}");
            return $"an extra flow failed: {e.Message}";
        }
    }

    private static async Task<string> RunOrThrowAsync(LoopbackCluster cluster, string room, string to, int count, TimeSpan lasting, TextWriter progress, CancellationToken drillOver)
    {
        var endpoint = $"load-{room}";
        await using var subscription = await RelayClient.SubscribeAsync(cluster.SubscriberPorts(to), cluster.MediaToken(to, [], [endpoint]), endpoint, drillOver).ConfigureAwait(false);
        var reading = Task.WhenAll(Enumerable.Range(0, count).Select(_ => ReadOneAsync(subscription, drillOver)));
        var sent = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => WriteOneAsync(cluster, room, to, endpoint, lasting, drillOver))).ConfigureAwait(false);
        var received = await reading.WaitAsync(TimeSpan.FromSeconds(30), drillOver).ConfigureAwait(false);
        var whole = sent.Order().Zip(received.Order()).Count(p => p.First == p.Second && p.First > 0);
        var outcome = $"{whole} of {count} extra flows arrived whole ({sent.Sum() / 1024} KiB)";
        progress.WriteLine($"  load on {room} lifted: {outcome}");
        return outcome;
    }

    private static async Task<long> WriteOneAsync(LoopbackCluster cluster, string from, string to, string endpoint, TimeSpan lasting, CancellationToken cancellationToken)
    {
        var entry = await cluster.EntryPortsAsync(from, to).ConfigureAwait(false);
        await using var writer = await RelayClient.OpenAsync(entry, cluster.MediaToken(from, [$"{to}/{endpoint}"], []), new RoomId(to), endpoint, cancellationToken).ConfigureAwait(false);
        var chunk = new byte[ChunkBytes];
        long sent = 0;
        using var timer = new PeriodicTimer(ChunkEvery);
        using var until = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        until.CancelAfter(lasting);
        try
        {
            while (await timer.WaitForNextTickAsync(until.Token).ConfigureAwait(false))
            {
                await writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                sent += chunk.Length;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Its time is up.
        }

        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return sent;
    }

    private static async Task<long> ReadOneAsync(ClientSubscription subscription, CancellationToken cancellationToken)
    {
        var flow = await subscription.AcceptFlowAsync(cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        await foreach (var data in flow.Data.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            bytes += data.Length;
        }

        return bytes;
    }
}
