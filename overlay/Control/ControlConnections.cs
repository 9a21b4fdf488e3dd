using System.Net.Sockets;

namespace Msdn.Overlay.Control;

/// <summary>
/// The relay's HTTP clients to the controller, one per <see cref="ControlKind"/>: each kind has its own connections
/// (the long-polls hold theirs anyway), so the bytes each kind costs on the wire, HTTP framing and TLS included,
/// are counted where they cross the socket and reported to <paramref name="counted"/> (kind, sent, received).
/// </summary>
public sealed class ControlConnections : IDisposable
{
    private readonly Dictionary<ControlKind, HttpClient> _clients = [];

    public ControlConnections(Uri controller, Action<ControlKind, long, long>? counted)
    {
        ArgumentNullException.ThrowIfNull(controller);
        foreach (var kind in ControlKinds.All)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }

                    var stream = new NetworkStream(socket, ownsSocket: true);
                    return counted is null ? stream : new CountedStream(stream, sent => counted(kind, sent, 0), received => counted(kind, 0, received));
                },
            };
            _clients[kind] = new HttpClient(handler) { BaseAddress = controller, Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    public HttpClient For(ControlKind kind) => _clients[kind];

    /// <summary>The client for a request by its path (a tunnelled exchange).</summary>
    public HttpClient ForPath(string pathAndQuery) => _clients[ControlKinds.OfPath(pathAndQuery)];

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
