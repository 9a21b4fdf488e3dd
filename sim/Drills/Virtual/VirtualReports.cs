using MessagePack;
using Msdn.Graph.Topology;
using Msdn.Overlay.Control;
using Msdn.Router.Rooms;

namespace Msdn.Sim.Drills.Virtual;

/// <summary>
/// The relays' reports in virtual time, as the relay builds them: each room's <see cref="ReportNews{TKey}"/>
/// decides what a report carries, the controller is handed each report as it would decode it, and a report's
/// size is its MessagePack body as the relay sends it (status and the links it carries).
/// </summary>
internal sealed class VirtualReports
{
    private static readonly TimeSpan RefreshInterval = new Msdn.Overlay.Hosting.RelayOptions().ReportRefreshInterval;

    private readonly RoomId[] _ids;
    private readonly TimeProvider _clock;
    private readonly int _seed;
    private readonly ReportNews<int>?[] _news;

    public VirtualReports(RoomId[] ids, TimeProvider clock, int seed)
    {
        _ids = ids;
        _clock = clock;
        _seed = seed;
        _news = new ReportNews<int>?[ids.Length];
    }

    /// <summary>A (re)started relay: its first report carries every link.</summary>
    public void Restarted(int room) => _news[room] = null;

    /// <summary>The next report of <paramref name="room"/>, from its agent's links now.</summary>
    public ReportPlan<int> Next(int room, Func<int, LinkValues> values)
    {
        var news = _news[room] ??= new ReportNews<int>(RefreshInterval, _clock, new Random(_seed + room), 1);
        var readings = new List<(int, LinkReading)>(_ids.Length);
        for (var b = 0; b < _ids.Length; b++)
        {
            if (b != room)
            {
                var v = values(b);
                readings.Add((b, new LinkReading(v.RttMs, v.JitterMs, v.Loss, v.ForwardLoss, v.Up)));
            }
        }

        return news.Next(readings);
    }

    /// <summary>The report as the controller receives it (the news it carries, amending the one it names); the relay counts it taken.</summary>
    public RoomReport Taken(int room, ReportPlan<int> plan)
    {
        _news[room]?.Taken(plan);
        return new RoomReport
        {
            RelayEndpoint = $"{_ids[room].Value}:7000",
            Links = [.. plan.Links.Select(l => new LinkEstimate { Peer = _ids[l.Peer].Value, RttMs = l.Reading.RttMs, JitterMs = l.Reading.JitterMs, Loss = l.Reading.Loss, Up = l.Reading.Up, ForwardLoss = l.Reading.ForwardLoss })],
            Sequence = plan.Sequence,
            Since = plan.Since,
            Gone = plan.Gone.Count > 0 ? [.. plan.Gone.Select(g => _ids[g].Value)] : null,
        };
    }

    /// <summary>The controller did not hold the report this one amended: the next carries every link.</summary>
    public void FullWanted(int room) => _news[room]?.FullWanted();

    /// <summary>The report's body on the wire: as a relay's, with its endpoints and certificate fingerprint.</summary>
    public int Bytes(int room, ReportPlan<int> plan)
    {
        var links = plan.Links.Select(l => new LinkEstimateBody(_ids[l.Peer].Value, l.Reading.RttMs, l.Reading.JitterMs, l.Reading.Loss, l.Reading.Up, l.Reading.ForwardLoss)).ToList();
        var name = _ids[room].Value;
        var body = new RelayReportBody($"{name}:7000", "Serving", links, $"{name}:7100", new string('0', 64), $"{name}:7001", plan.Sequence, plan.Since);
        return MessagePackSerializer.Serialize(body).Length;
    }
}
