using Microsoft.Extensions.Logging;
using Msdn.Graph.Topology;

namespace Msdn.Overlay.Relay;

public sealed partial class RelayNode
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Relay {Room}: a stream ended: {Reason}")]
        public static partial void StreamEnded(ILogger logger, RoomId room, string reason);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Relay {Room}: flow {Flow} failed over from {From} to {To}: {Reason}")]
        public static partial void FailedOver(ILogger logger, RoomId room, ulong flow, string from, string to, string reason);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Relay {Room}: flow {Flow} moves from {From} to the table's better primary {To}")]
        public static partial void FlowMoved(ILogger logger, RoomId room, ulong flow, IReadOnlyList<RoomId> from, IReadOnlyList<RoomId> to);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Relay {Room}: accepting a peer connection failed ({Error}: {Reason}); accepting goes on")]
        public static partial void AcceptFailed(ILogger logger, RoomId room, string error, string reason);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Relay {Room}: the data connection to {Peer} is refused: {Reason}. The link is reported down and avoided until a connection works")]
        public static partial void PeerRefused(ILogger logger, RoomId room, RoomId peer, string reason);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Relay {Room}: the data connection to {Peer} works again")]
        public static partial void PeerAccepted(ILogger logger, RoomId room, RoomId peer);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Relay {Room}: {From} → {To}")]
        public static partial void StateChanged(ILogger logger, RoomId room, Msdn.Overlay.Lifecycle.RelayState from, Msdn.Overlay.Lifecycle.RelayState to);
    }
}
