using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Msdn.Overlay.Transport.Mux;

namespace Msdn.Overlay.Transport;

/// <summary>
/// The TCP + TLS transport's listener. Accepting and handshaking are apart: each accepted socket's TLS
/// handshake runs on its own (up to <see cref="RelayTransportOptions.MaxConcurrentHandshakes"/> at once and
/// <see cref="RelayTransportOptions.MaxHandshakesPerAddress"/> from one address, each within
/// <see cref="RelayTransportOptions.HandshakeTimeout"/>), and only authenticated peers reach
/// <see cref="AcceptAsync"/>, so a stranger that connects and stays silent never holds up a peer's
/// handshake. Accept errors other than shutdown (descriptors exhausted) are survived: the loop waits a
/// moment and accepts again.
/// </summary>
internal sealed class TcpTlsListener : IRelayListener
{
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly TcpListener _listener;
    private readonly RelayTransportOptions _options;
    private readonly Channel<IRelayConnection> _ready = Channel.CreateUnbounded<IRelayConnection>();
    private readonly SemaphoreSlim _handshakes;
    private readonly ConnectionLimiter _handshakesPerAddress;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private long _refused;

    public TcpTlsListener(TcpListener listener, RelayTransportOptions options)
    {
        _listener = listener;
        _options = options;
        _handshakes = new SemaphoreSlim(options.MaxConcurrentHandshakes);
        _handshakesPerAddress = new ConnectionLimiter(options.MaxConcurrentHandshakes, options.MaxHandshakesPerAddress);
        LocalEndPoint = listener.LocalEndpoint;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public EndPoint LocalEndPoint { get; }

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Accepts that failed for a reason other than shutdown (the loop went on), and whether they still do.</summary>
    public ListenerHealth Health { get; } = new();

    public async ValueTask<IRelayConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(TcpTlsListener));
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                await _handshakes.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
                Health.Accepted();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                _handshakes.Release();
                return;
            }
            catch (SocketException e)
            {
                _handshakes.Release();
                Health.Failed(e);
                try
                {
                    await Task.Delay(AcceptRetryDelay, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            _ = Task.Run(() => HandshakeAsync(socket), CancellationToken.None);
        }
    }

    private async Task HandshakeAsync(Socket socket)
    {
        using var slot = _handshakesPerAddress.TryTake((socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None);
        try
        {
            if (slot is null)
            {
                Interlocked.Increment(ref _refused); // that address already has its share of handshakes in progress
                socket.Dispose();
                return;
            }

            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            EndPoint remote;
            try
            {
                socket.NoDelay = true;
                remote = socket.RemoteEndPoint!;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(_options.HandshakeTimeout);
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _options.Identity.Certificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls13,
                        ApplicationProtocols = [RelayTransportOptions.Alpn],
                        RemoteCertificateValidationCallback = _options.Peers.Validate,
                    },
                    timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                if (!_stopping.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _refused);
                }

                await tls.DisposeAsync().ConfigureAwait(false); // refused: nothing it sent goes anywhere
                return;
            }

            var connection = new MuxConnection(tls, isClient: false, remote, MuxKeepAlive.From(_options));
            if (!_ready.Writer.TryWrite(connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false); // the listener closed meanwhile
            }
        }
        finally
        {
            _handshakes.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }
    }
}
