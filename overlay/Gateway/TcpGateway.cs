using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Msdn.Client;
using Msdn.Overlay.Relay;

namespace Msdn.Overlay.Gateway;

/// <summary>
/// Lets unmodified TCP applications (ffmpeg, socat, any client) cross the overlay: each connection to a
/// forward rule's port becomes a flow (its bytes, then its end), and each flow arriving for a deliver
/// rule's endpoint is written to a new connection to the rule's target, then shut down. One-way, like
/// flows; ordering, exactly-once delivery and failover are the relay's.
/// </summary>
public sealed partial class TcpGateway(RelayNode node, IEnumerable<ForwardRule> forwards, IEnumerable<DeliverRule> delivers, TimeProvider time, ILogger<TcpGateway> logger) : IAsyncDisposable
{
    /// <summary>How long to wait before retrying a deliver target that refused the connection; the flow waits meanwhile.</summary>
    public static readonly TimeSpan DeliverRetry = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Logging.LogBudget _resetLog = new(20, TimeSpan.FromMinutes(1), time);
    private readonly List<TcpListener> _listeners = [];
    private readonly List<Task> _loops = [];

    /// <summary>The bound address of each forward rule, in order (port 0 in a rule binds an ephemeral one).</summary>
    public IReadOnlyList<EndPoint> ForwardEndPoints => [.. _listeners.Select(l => l.LocalEndpoint)];

    /// <summary>Whether the forward ports are accepting connections now (one health for all of them).</summary>
    public Transport.ListenerHealth Health { get; } = new();

    public Task StartAsync()
    {
        foreach (var rule in forwards)
        {
            var listener = new TcpListener(rule.Listen);
            listener.Start();
            _listeners.Add(listener);
            _loops.Add(Task.Run(() => Transport.TcpAcceptLoop.RunAsync(listener, socket => ForwardConnectionAsync(socket, rule), _stopping.Token, Health), CancellationToken.None));
        }

        foreach (var rule in delivers)
        {
            _loops.Add(Task.Run(() => DeliverLoopAsync(rule), CancellationToken.None));
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listeners.ForEach(l => l.Stop());
        foreach (var loop in _loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }

    private async Task ForwardConnectionAsync(Socket socket, ForwardRule rule)
    {
        using var _ = socket;
        RelayFlow flow;
        try
        {
            flow = await node.OpenFlowAsync(rule.Room, rule.Endpoint, _stopping.Token).ConfigureAwait(false);
        }
        catch (RelayDrainingException e)
        {
            Log.Refused(logger, rule.Listen, e.Message);
            return; // the application sees its connection closed at once and may try another relay
        }

        Log.Forwarding(logger, socket.RemoteEndPoint, flow.Id, rule.Room, rule.Endpoint);
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false)) > 0)
            {
                await flow.WriteAsync(buffer.AsMemory(0, read), _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (SocketException e)
        {
            if (_resetLog.TryTake(out var leftOut))
            {
                Log.ForwardAborted(logger, flow.Id, e.Message, leftOut); // an application's doing, and anyone reaching the port can do it at will
            }

            flow.CutOff(); // what was accepted before the reset is still delivered, and the far application's connection is reset, not ended
        }
        finally
        {
            flow.CompleteWriting();
        }

        try
        {
            await flow.Completion.ConfigureAwait(false);
        }
        catch (IOException e)
        {
            Log.ForwardFailed(logger, flow.Id, e.Message);
        }
    }

    private async Task DeliverLoopAsync(DeliverRule rule)
    {
        var arrivals = node.Subscribe(rule.Endpoint);
        var delivering = new List<Task>();
        try
        {
            while (true)
            {
                var incoming = await arrivals.ReadAsync(_stopping.Token).ConfigureAwait(false);
                delivering.RemoveAll(t => t.IsCompleted);
                delivering.Add(Task.Run(() => DeliverAsync(incoming, rule), CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
            await Task.WhenAll(delivering).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(IncomingFlow incoming, DeliverRule rule)
    {
        try
        {
            using var socket = await ConnectPatientlyAsync(rule.Target).ConfigureAwait(false);
            Log.Delivering(logger, incoming.Id, incoming.Source, rule.Target);
            try
            {
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                await incoming.CopyToAsync(stream, _stopping.Token).ConfigureAwait(false);
            }
            catch (FlowCutOffException e)
            {
                // The sending application's connection broke: so does this one, with a reset, not an end it could take for complete.
                socket.LingerState = new LingerOption(true, 0);
                Log.DeliverCutOff(logger, incoming.Id, rule.Target, e.Message);
                return;
            }

            socket.Shutdown(SocketShutdown.Send); // the flow ended: the application reads its end
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            Log.DeliverFailed(logger, incoming.Id, rule.Target, e.Message);
        }
    }

    /// <summary>The target may not be listening yet: the flow's data waits in the relay until it is.</summary>
    private async Task<Socket> ConnectPatientlyAsync(EndPoint target)
    {
        while (true)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(target, _stopping.Token).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                Log.TargetUnavailable(logger, target, e.Message);
                await Task.Delay(DeliverRetry, time, _stopping.Token).ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Gateway: {Client} → flow {Flow} to {Room}/{Endpoint}")]
        public static partial void Forwarding(ILogger logger, EndPoint? client, ulong flow, Graph.Topology.RoomId room, string endpoint);

        [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Gateway on {Listen} refused a connection: {Reason}")]
        public static partial void Refused(ILogger logger, IPEndPoint listen, string reason);

        [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "Gateway: the application reset flow {Flow}'s connection ({Reason}); what it sent before is delivered and the flow's end says it was cut off ({LeftOut} such resets before this one were not logged)")]
        public static partial void ForwardAborted(ILogger logger, ulong flow, string reason, long leftOut);

        [LoggerMessage(EventId = 4304, Level = LogLevel.Error, Message = "Gateway: flow {Flow} failed: {Reason}")]
        public static partial void ForwardFailed(ILogger logger, ulong flow, string reason);

        [LoggerMessage(EventId = 4305, Level = LogLevel.Information, Message = "Gateway: flow {Flow} from {Source} → {Target}")]
        public static partial void Delivering(ILogger logger, ulong flow, Graph.Topology.RoomId source, EndPoint target);

        [LoggerMessage(EventId = 4306, Level = LogLevel.Error, Message = "Gateway: delivering flow {Flow} to {Target} failed: {Reason}")]
        public static partial void DeliverFailed(ILogger logger, ulong flow, EndPoint target, string reason);

        [LoggerMessage(EventId = 4308, Level = LogLevel.Warning, Message = "Gateway: flow {Flow} was cut off at its source; {Target}'s connection is reset after the bytes sent before ({Reason})")]
        public static partial void DeliverCutOff(ILogger logger, ulong flow, EndPoint target, string reason);

        [LoggerMessage(EventId = 4307, Level = LogLevel.Warning, Message = "Gateway: {Target} is not accepting connections ({Reason}); the flow waits")]
        public static partial void TargetUnavailable(ILogger logger, EndPoint target, string reason);
    }
}
