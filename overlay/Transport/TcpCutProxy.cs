using System.Net;
using System.Net.Sockets;

namespace Msdn.Overlay.Transport;

/// <summary>
/// A loopback TCP proxy whose link can be cut, for drills and tests of links that are not relay streams
/// (a relay's control connection to the controller): while cut, connections stay open and silent both
/// ways — bytes are held, not lost — as on a real cut; restored, they flow again.
/// </summary>
public sealed class TcpCutProxy : IAsyncDisposable
{
    private readonly EndPoint _target;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;
    private TaskCompletionSource _open = Opened();
    private long _bytes;
    private long _bytesOut;

    public TcpCutProxy(EndPoint target, IPEndPoint? listen = null)
    {
        _target = target;
        _listener = new TcpListener(listen ?? new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Start();
        _accepting = Task.Run(() => TcpAcceptLoop.RunAsync(_listener, ServeAsync, _stopping.Token));
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Bytes carried both ways so far (a drill's control traffic).</summary>
    public long BytesCarried => Interlocked.Read(ref _bytes);

    /// <summary>Of <see cref="BytesCarried"/>, those from the connecting side to the target (a relay's reports and requests to the controller).</summary>
    public long BytesToTarget => Interlocked.Read(ref _bytesOut);

    public bool IsCut => !Volatile.Read(ref _open).Task.IsCompleted;

    public void Cut()
    {
        lock (_lock)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Restore()
    {
        lock (_lock)
        {
            _open.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Restore();
        lock (_lock)
        {
            _sockets.ForEach(s => s.Dispose());
        }

        await _accepting.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task ServeAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var _ = client;
        lock (_lock)
        {
            _sockets.Add(client);
            _sockets.Add(server);
        }

        try
        {
            await WhileCutAsync().ConfigureAwait(false); // a connection made during a cut hangs, as a SYN would
            await server.ConnectAsync(_target, _stopping.Token).ConfigureAwait(false);
            await Task.WhenAll(PumpAsync(client, server, toTarget: true), PumpAsync(server, client, toTarget: false)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_lock)
            {
                _sockets.Remove(client);
                _sockets.Remove(server);
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool toTarget)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false)) > 0)
            {
                await WhileCutAsync().ConfigureAwait(false);
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token).ConfigureAwait(false);
                Interlocked.Add(ref _bytes, read);
                if (toTarget)
                {
                    Interlocked.Add(ref _bytesOut, read);
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private Task WhileCutAsync() => Volatile.Read(ref _open).Task.WaitAsync(_stopping.Token);
}
