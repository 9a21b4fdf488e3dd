using System.Net;
using Msdn.Overlay.Transport;

namespace Msdn.Benchmarks.Relay;

/// <summary>
/// The relays' transport alone, without flows: one stream over one connection of <see cref="RelayThroughputBenchmark"/>'s
/// relay transport, the writer's 256 KiB blocks in, read in place at the other end. Set between the TLS chain and a
/// relay flow, it says which layer the gap between those two lies in.
/// </summary>
internal sealed class MuxLine(IRelayListener listener, IRelayConnection client, IRelayConnection server, Stream writing, System.IO.Pipelines.PipeReader reading) : IAsyncDisposable
{
    private const int WriteSize = 256 * 1024;
    private readonly byte[] _block = new byte[WriteSize];

    public static async Task<MuxLine> StartAsync(IRelayTransport transport)
    {
        var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), default);
        var accepting = listener.AcceptAsync(default).AsTask();
        var client = await transport.ConnectAsync(listener.LocalEndPoint, default);
        var server = await accepting;
        var writing = await client.OpenStreamAsync(default);
        await writing.WriteAsync(new byte[1]); // a stream is announced to the peer with its first bytes on some transports
        var reading = await server.AcceptStreamAsync(default);
        var input = reading is Msdn.Client.Framing.IPipeReadable readable ? readable.Input : System.IO.Pipelines.PipeReader.Create(reading);
        var first = await input.ReadAsync();
        input.AdvanceTo(first.Buffer.GetPosition(1));
        return new MuxLine(listener, client, server, writing, input);
    }

    /// <summary>64 MiB through the stream, until the reader has it all.</summary>
    public async Task MoveAsync()
    {
        const long bytes = 64 * 1024 * 1024;
        var receiving = Task.Run(async () =>
        {
            long received = 0;
            while (received < bytes)
            {
                var result = await reading.ReadAsync();
                received += result.Buffer.Length;
                reading.AdvanceTo(result.Buffer.End);
            }
        });
        for (long sent = 0; sent < bytes; sent += WriteSize)
        {
            await writing.WriteAsync(_block);
        }

        await receiving;
    }

    public async ValueTask DisposeAsync()
    {
        await writing.DisposeAsync();
        await client.DisposeAsync();
        await server.DisposeAsync();
        await listener.DisposeAsync();
    }
}
