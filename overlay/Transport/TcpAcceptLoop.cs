using System.Net.Sockets;

namespace Msdn.Overlay.Transport;

/// <summary>
/// Accepts TCP connections until the listener stops or <paramref name="stopping"/> fires, serving each on
/// its own task (low latency: Nagle off). An accept that fails for another reason (descriptors exhausted,
/// a network error) does not end the loop: it is counted in the listener's health, and the loop waits a
/// moment and accepts again. Shared by the client port, the gateway and the cut proxy.
/// </summary>
internal static class TcpAcceptLoop
{
    /// <summary>Long enough not to spin on a persistent error, short enough that clients barely notice.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    /// <param name="failing">Called with the error that starts a run of failures (to log it once).</param>
    public static async Task RunAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stopping, ListenerHealth? health = null, Action<Exception>? failing = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(serve);
        health ??= new ListenerHealth();
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping).ConfigureAwait(false);
                health.Accepted();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                if (health.Failed(e))
                {
                    failing?.Invoke(e);
                }

                try
                {
                    await Task.Delay(RetryDelay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            socket.NoDelay = true;
            _ = Task.Run(() => serve(socket), CancellationToken.None);
        }
    }
}
