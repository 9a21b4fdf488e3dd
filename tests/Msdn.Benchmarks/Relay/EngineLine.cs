using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Msdn.Client;
using Msdn.Overlay.Client;
using Msdn.Overlay.Relay;
using Msdn.Tokens;

namespace Msdn.Benchmarks.Relay;

/// <summary>
/// The path a media engine's flow takes: an engine writing through the first relay's client port, the line of relays,
/// and an engine reading from the last relay's client port (plain TCP to and from the engines, as on a relay's own
/// host). Beside <see cref="RelayThroughputBenchmark"/>'s in-process flow, it adds what the client ports cost.
/// </summary>
internal sealed class EngineLine(ClientPort ingress, ClientPort egress, ClientSubscription subscription, string openToken, Msdn.Graph.Topology.RoomId destination) : IAsyncDisposable
{
    private const int Bytes = 64 * 1024 * 1024;
    private const int WriteSize = 256 * 1024;
    private readonly byte[] _block = new byte[WriteSize];

    public static async Task<EngineLine> StartAsync(RelayNode first, RelayNode last)
    {
        var tokens = new MediaTokens(RandomNumberGenerator.GetBytes(MediaTokens.MinimumKeyLength), TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var ingress = new ClientPort(first, tokens, NullLogger<ClientPort>.Instance);
        await ingress.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var egress = new ClientPort(last, tokens, NullLogger<ClientPort>.Instance);
        await egress.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var subscription = await RelayClient.SubscribeAsync(egress.LocalEndPoint, tokens.Issue(new MediaTokenClaims("reader", last.Room.Value, [], ["sink"], expires)), "sink");
        var openToken = tokens.Issue(new MediaTokenClaims("writer", first.Room.Value, [$"{last.Room.Value}/sink"], [], expires));
        return new EngineLine(ingress, egress, subscription, openToken, last.Room);
    }

    /// <summary>One flow of 64 MiB from the writing engine, read to its end by the reading one.</summary>
    public async Task MoveAsync()
    {
        await using var flow = await RelayClient.OpenAsync(ingress.LocalEndPoint, openToken, destination, "sink");
        var receiving = Task.Run(async () => await RelayThroughputBenchmark.ReadAsync(await subscription.AcceptFlowAsync(), Bytes));
        for (var sent = 0; sent < Bytes; sent += WriteSize)
        {
            await flow.WriteAsync(_block);
        }

        await flow.CompleteAsync();
        await receiving;
    }

    public async ValueTask DisposeAsync()
    {
        await subscription.DisposeAsync();
        await ingress.DisposeAsync();
        await egress.DisposeAsync();
    }
}
