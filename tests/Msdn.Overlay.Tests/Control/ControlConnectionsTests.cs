using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Msdn.Overlay.Control;

namespace Msdn.Overlay.Tests.Control;

public class ControlConnectionsTests
{
    [Fact]
    public async Task Each_kind_counts_exactly_the_bytes_its_connection_carried_on_the_wire()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var wire = new ConcurrentQueue<(long Received, long Sent)>();
        var serving = Task.Run(async () =>
        {
            // A one-exchange HTTP/1.1 server that closes after answering: what it read and wrote is the wire.
            for (var i = 0; i < 2; i++)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var request = new MemoryStream();
                var buffer = new byte[4096];
                while (!Encoding.ASCII.GetString(request.ToArray()).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    request.Write(buffer, 0, await stream.ReadAsync(buffer));
                }

                var body = new string('x', 300 * (i + 1));
                var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
                await stream.WriteAsync(answer);
                wire.Enqueue((request.Length, answer.Length));
            }
        });

        var counted = new ConcurrentDictionary<ControlKind, (long Sent, long Received)>();
        using var connections = new ControlConnections(new Uri($"http://{listener.LocalEndpoint}/"), (kind, sent, received) => counted.AddOrUpdate(kind, (sent, received), (_, c) => (c.Sent + sent, c.Received + received)));
        Assert.Equal(300, (await connections.For(ControlKind.Routes).GetStringAsync(new Uri("v1/routes?since=3", UriKind.Relative))).Length);
        Assert.Equal(600, (await connections.ForPath("v1/directory?since=1").GetStringAsync(new Uri("v1/directory?since=1", UriKind.Relative))).Length);
        await serving.WaitAsync(TimeSpan.FromSeconds(10));

        var exchanges = wire.ToArray();
        Assert.Equal((exchanges[0].Received, exchanges[0].Sent), counted[ControlKind.Routes]);
        Assert.Equal((exchanges[1].Received, exchanges[1].Sent), counted[ControlKind.Directory]);
        Assert.False(counted.ContainsKey(ControlKind.Reports));
    }

    [Theory]
    [InlineData("v1/rooms/room-a/reports", ControlKind.Reports)]
    [InlineData("v1/routes?since=4&wait=20&to=room-b", ControlKind.Routes)]
    [InlineData("/v1/directory", ControlKind.Directory)]
    [InlineData("v1/rooms/room-a/certificate", ControlKind.Certificate)]
    public void A_path_names_its_kind(string path, ControlKind kind) => Assert.Equal(kind, ControlKinds.OfPath(path));
}
