using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Detection;
using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>What arrives: requests are answered, replies measured, everything else counted.</summary>
public sealed partial class ProbeAgent
{
    private void OnReply(in ProbePacket packet, long now, List<LinkStateChange> changes, List<(RoomId, bool)> suspicions)
    {
        if (!_peers.TryGetValue(packet.Sender, out var link))
        {
            Counters.Reject(ProbeRejection.UnknownPeer);
            return;
        }

        if (packet.Session != _session || !link.Outstanding.TryGetValue(packet.Sequence, out var sentAt) || sentAt != packet.SentAt)
        {
            Counters.Reject(ProbeRejection.Unsolicited);
            return;
        }

        link.Outstanding.Remove(packet.Sequence);
        Counters.ReplyReceived();
        var rttMs = (Microseconds(now) - sentAt) / 1000.0;
        if (link.BurstSuspect)
        {
            link.BurstSuspect = false;
            suspicions.Add((link.Room, false)); // it answers: not cut off after all
        }

        switch (link.Answered(rttMs, packet.Sequence, packet.RequestsReceived))
        {
            case ProbeOutcome.WentUp:
                Log.LinkUp(_logger, _room, link.Room, link.Rtt.SmoothedMs);
                changes.Add(new LinkStateChange(_room, link.Room, LinkState.Up, _time.GetUtcNow()));
                break;
            case ProbeOutcome.Confirming:
                PullIn(link, now); // confirming: probe fast until up
                break;
        }
    }

    private void OnRequest(in ProbePacket packet, EndPoint from)
    {
        ResponderState? responder;
        if (_peers.TryGetValue(packet.Sender, out var link))
        {
            responder = link.Responder;
        }
        else if (!_strangers.TryGetValue(packet.Sender, out responder))
        {
            // Authenticated rooms not (yet) in our peer list are answered too: peer lists change at different times.
            if (_strangers.Count >= 10_000)
            {
                _strangers.Clear();
            }

            responder = _strangers[packet.Sender] = new ResponderState();
        }

        if (!responder.TryAccept(packet.Session, packet.Sequence, out var requestsReceived))
        {
            Counters.Reject(ProbeRejection.Replayed);
            return;
        }

        var reply = new ProbePacket(ProbeKind.Reply, _room, packet.Session, packet.Sequence, packet.SentAt, requestsReceived);
        var length = ProbeCodec.Encode(reply, _key, _sendBuffer);
        _socket.Send(_sendBuffer.AsSpan(0, length), from);
        Counters.ReplySent(length);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[2048];
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var datagram = await _socket.ReceiveAsync(buffer, _stopping.Token).ConfigureAwait(false);
                OnDatagram(buffer.AsSpan(0, datagram.Length), datagram.From);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ReceiveLoopFailed(_logger, e);
            throw;
        }
    }

    /// <summary>Handles one received datagram: authenticated requests are answered, replies measured, the rest counted.</summary>
    private void OnDatagram(ReadOnlySpan<byte> datagram, EndPoint from)
    {
        var rejection = ProbeCodec.TryDecode(datagram, _key, out var packet);
        if (rejection != ProbeRejection.None)
        {
            Counters.Reject(rejection);
            Log.Rejected(_logger, from, rejection);
            return;
        }

        var changes = new List<LinkStateChange>(0);
        var suspicions = new List<(RoomId, bool)>(0);
        lock (_lock)
        {
            if (packet.Kind == ProbeKind.Request)
            {
                OnRequest(packet, from);
            }
            else
            {
                OnReply(packet, _time.GetTimestamp(), changes, suspicions);
            }

            Rearm();
        }

        Raise(changes);
        RaiseBurstSuspicion(suspicions);
    }
}
