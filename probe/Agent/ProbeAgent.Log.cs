using Microsoft.Extensions.Logging;
using Msdn.Graph.Topology;
using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

public sealed partial class ProbeAgent
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Link {From}->{To} is down after {Losses} lost probes")]
        public static partial void LinkDown(ILogger logger, RoomId from, RoomId to, int losses);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Link {From}->{To} is up (RTT {RttMs:F1} ms)")]
        public static partial void LinkUp(ILogger logger, RoomId from, RoomId to, double rttMs);

        [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Room {Room}: {Links} or more links began losing probes within {WindowMs} ms; probing every link fast for a while")]
        public static partial void LossBurst(ILogger logger, RoomId room, int links, double windowMs);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Rejected a probe datagram from {Endpoint}: {Reason}")]
        public static partial void Rejected(ILogger logger, System.Net.EndPoint endpoint, ProbeRejection reason);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Delivering the probe report failed")]
        public static partial void ReportFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "A link state subscriber failed")]
        public static partial void ObserverFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "The probe receive loop stopped")]
        public static partial void ReceiveLoopFailed(ILogger logger, Exception exception);
    }
}
