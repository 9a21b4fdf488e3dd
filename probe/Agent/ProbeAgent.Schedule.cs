using System.Net;
using Msdn.Graph.Topology;
using Msdn.Probe.Detection;
using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>The probe schedule: one timer, woken for the earliest due probe or timeout.</summary>
public sealed partial class ProbeAgent
{
    private void OnTimer()
    {
        var changes = new List<LinkStateChange>();
        var suspects = new List<(RoomId, bool)>(0);
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            while (_schedule.TryPeek(out var entry, out var due) && due <= now)
            {
                _schedule.Dequeue();
                var (link, sequence) = entry;
                if (link.Removed)
                {
                    continue;
                }

                if (sequence == 0)
                {
                    if (due == link.NextSendDue)
                    {
                        SendProbe(link, now);
                    }
                }
                else if (link.Outstanding.Remove(sequence))
                {
                    Lost(link, now, changes, suspects);
                }
            }

            Rearm();
        }

        Raise(changes);
        RaiseBurstSuspicion(suspects);
    }

    private void SendProbe(PeerLink link, long now)
    {
        var sequence = link.NextSequence++;
        var sentAt = Microseconds(now);
        var length = ProbeCodec.Encode(new ProbePacket(ProbeKind.Request, _room, _session, sequence, sentAt, 0), _key, _sendBuffer);
        link.Outstanding[sequence] = sentAt;
        link.ProbesSent++;
        _socket.Send(_sendBuffer.AsSpan(0, length), link.Endpoint);
        Counters.RequestSent(length);
        _schedule.Enqueue((link, sequence), now + Ticks(link.Timeout(_options, _burst.Active(Elapsed(now)))));
        ScheduleSend(link, now + Ticks(Interval(link)));
    }

    private void Lost(PeerLink link, long now, List<LinkStateChange> changes, List<(RoomId, bool)> suspects)
    {
        var answering = link.Answering;
        if (link.Lost())
        {
            Log.LinkDown(_logger, _room, link.Room, link.Health.ConsecutiveLosses);
            changes.Add(new LinkStateChange(_room, link.Room, LinkState.Down, _time.GetUtcNow()));
        }

        PullIn(link, now); // a lost probe moves the link to the fast interval at once
        var burst = _burst.Lost(Elapsed(now), _peers.Count, answering);
        if (burst == BurstLoss.Began)
        {
            // Many links began losing at once: a region may be cut off. Every link is probed fast for a while,
            // so the cut ones are all found within a few fast probes rather than over a base interval.
            Log.LossBurst(_logger, _room, _burst.Threshold(_peers.Count), _options.BurstWindow.TotalMilliseconds);
            foreach (var peer in _peers.Values)
            {
                PullIn(peer, now);
                if (peer.LosingWhileUp)
                {
                    Suspect(peer, suspects);
                }
            }
        }
        else if (burst == BurstLoss.During)
        {
            Suspect(link, suspects);
        }
    }

    private static void Suspect(PeerLink link, List<(RoomId, bool)> suspects)
    {
        link.BurstSuspect = true;
        suspects.Add((link.Room, true));
    }

    private TimeSpan Interval(PeerLink link) => link.NextInterval(_options, _random, _burst.Active(Elapsed(_time.GetTimestamp())));

    /// <summary>A timestamp of this agent's clock as time since the clock's zero (the burst detector's time line).</summary>
    private TimeSpan Elapsed(long timestamp) => TimeSpan.FromSeconds(timestamp / (double)_time.TimestampFrequency);

    private void ScheduleSend(PeerLink link, long due)
    {
        link.NextSendDue = due;
        _schedule.Enqueue((link, 0), due);
    }

    private void Rearm()
    {
        if (_timer is null || !_schedule.TryPeek(out _, out var due))
        {
            return;
        }

        var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Brings the next probe forward to within the fast interval if it is due later.</summary>
    private void PullIn(PeerLink link, long now)
    {
        var soon = now + Ticks(PeerLink.PullInDelay(_options, _random));
        if (link.NextSendDue > soon)
        {
            ScheduleSend(link, soon);
        }
    }
}
