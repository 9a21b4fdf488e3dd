using System.Net.Sockets;

namespace Msdn.Overlay.Transport;

/// <summary>
/// Accepts TCP connections until the listener stops or <paramref name="stopping"/> fires, serving each on
/// its own task (low latency: Nagle off). Shared by the client port, the gateway and the cut proxy.
/// </summary>
internal static class TcpAcceptLoop
{
    public static async Task RunAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(serve);
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            _ = Task.Run(() => serve(socket), CancellationToken.None);
        }
    }
}
